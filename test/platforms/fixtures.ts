// Response shapes of the platforms' public documentation, for the unit tests and the simulators.
// Each builder says where its shape comes from; values are ours.

/** A product a simulated shop sells. `price` is in the platform's own units (see each builder). */
export interface Product {
  id: number;
  productId: number;
  title: string;
  variant?: string;
  price: number;
  handle: string;
}

/** A line of a simulated cart: the product, how many, and (Shopify) its line properties, selling plan and gift card flag. */
export interface Held {
  product: Product;
  quantity: number;
  properties?: Record<string, string>;
  sellingPlan?: number;
  giftCard?: boolean;
}

/** Shopify's item key: the variant id and a hash of the line's properties and selling plan. */
export const shopifyKey = (held: Held): string =>
  `${held.product.id}:${Buffer.from(JSON.stringify([held.properties || {}, held.sellingPlan ?? null]))
    .toString("hex")
    .slice(0, 32)
    .padEnd(32, "0")}`;

// GET /{locale}/cart.js, https://shopify.dev/docs/api/ajax/reference/cart#get-locale-cart-js
// (the item fields as documented there; prices in the currency's hundredths, the token with its
// `?key=` part since https://shopify.dev/changelog/cart-token-in-ajax-api-response-now-includes-key-param).
export function shopifyItem(held: Held) {
  const { product, quantity } = held;
  return {
    id: product.id,
    properties: held.properties || {},
    quantity,
    variant_id: product.id,
    key: shopifyKey(held),
    title: product.variant ? `${product.title} - ${product.variant}` : product.title,
    price: product.price,
    original_price: product.price,
    discounted_price: product.price,
    line_price: product.price * quantity,
    original_line_price: product.price * quantity,
    total_discount: 0,
    discounts: [],
    sku: `SKU-${product.id}`,
    grams: 100,
    vendor: "Polina's Potent Potions",
    taxable: true,
    product_id: product.productId,
    product_has_only_default_variant: !product.variant,
    gift_card: Boolean(held.giftCard),
    final_price: product.price,
    final_line_price: product.price * quantity,
    url: `/products/${product.handle}?variant=${product.id}`,
    featured_image: {
      aspect_ratio: 1,
      alt: product.title,
      height: 1000,
      url: `//cdn.shopify.example/files/${product.handle}.jpg`,
      width: 1000,
    },
    image: `//cdn.shopify.example/files/${product.handle}.jpg`,
    handle: product.handle,
    requires_shipping: true,
    product_type: "Potion",
    product_title: product.title,
    product_description: "",
    variant_title: product.variant ?? null,
    variant_options: product.variant ? product.variant.split(" / ") : ["Default Title"],
    options_with_values: [],
    line_level_discount_allocations: [],
    line_level_total_discount: 0,
    // A subscription line (https://shopify.dev/docs/api/ajax/reference/cart#get-locale-cart-js, selling_plan_allocation;
    // https://shopify.dev/docs/storefronts/themes/pricing-payments/subscriptions): the plan it is bought on, else null.
    selling_plan_allocation:
      held.sellingPlan == null
        ? null
        : {
            price_adjustments: [{ position: 1, price: product.price }],
            price: product.price,
            compare_at_price: product.price,
            per_delivery_price: product.price,
            selling_plan: {
              id: held.sellingPlan,
              name: "Delivery every 2 weeks",
              description: null,
              options: [{ name: "Delivery every", position: 1, value: "2 weeks" }],
              recurring_deliveries: true,
              price_adjustments: [],
            },
          },
  };
}

export function shopifyCart(token: string, lines: Held[], currency = "CAD") {
  const items = lines.map(shopifyItem);
  const total = items.reduce((sum, i) => sum + i.final_line_price, 0);
  return {
    token: `${token}?key=824bdj25mhg1242bdb385`,
    note: null,
    attributes: {},
    original_total_price: total,
    total_price: total,
    total_discount: 0,
    total_weight: items.reduce((sum, i) => sum + i.grams * i.quantity, 0),
    item_count: items.reduce((sum, i) => sum + i.quantity, 0),
    items,
    requires_shipping: items.length > 0,
    currency,
    items_subtotal_price: total,
    cart_level_discount_applications: [],
  };
}

// GET /wp-json/wc/store/v1/cart, https://developer.woocommerce.com/docs/apis/store-api/resources-endpoints/cart/
// (prices as strings of integers counted in `currency_minor_unit` decimals).
export function wooItem(held: Held, key: string, currency = "GBP", minorUnit = 2) {
  const { product, quantity } = held;
  const money = {
    currency_code: currency,
    currency_symbol: "£",
    currency_minor_unit: minorUnit,
    currency_decimal_separator: ".",
    currency_thousand_separator: ",",
    currency_prefix: "£",
    currency_suffix: "",
  };
  return {
    key,
    id: product.id,
    quantity,
    quantity_limits: { minimum: 1, maximum: 9999, multiple_of: 1, editable: true },
    name: product.title,
    short_description: "",
    description: "",
    sku: `woo-${product.handle}`,
    low_stock_remaining: null,
    backorders_allowed: false,
    show_backorder_badge: false,
    sold_individually: false,
    permalink: `https://woo.example/product/${product.handle}/`,
    images: [
      {
        id: product.id + 1000,
        src: `https://woo.example/wp-content/uploads/${product.handle}.jpg`,
        thumbnail: `https://woo.example/wp-content/uploads/${product.handle}-324x324.jpg`,
        srcset: "",
        sizes: "",
        name: `${product.handle}.jpg`,
        alt: "",
      },
    ],
    variation: product.variant ? [{ attribute: "Color", value: product.variant }] : [],
    item_data: [],
    prices: {
      price: String(product.price),
      regular_price: String(product.price),
      sale_price: String(product.price),
      price_range: null,
      raw_prices: {
        precision: 6,
        price: `${product.price}0000`,
        regular_price: `${product.price}0000`,
        sale_price: `${product.price}0000`,
      },
      ...money,
    },
    totals: {
      line_subtotal: String(product.price * quantity),
      line_subtotal_tax: "0",
      line_total: String(product.price * quantity),
      line_total_tax: "0",
      ...money,
    },
    catalog_visibility: "visible",
    extensions: {},
  };
}

export function wooCart(lines: { held: Held; key: string }[], currency = "GBP", minorUnit = 2) {
  const items = lines.map(({ held, key }) => wooItem(held, key, currency, minorUnit));
  const total = lines.reduce((sum, { held }) => sum + held.product.price * held.quantity, 0);
  return {
    items,
    coupons: [],
    fees: [],
    totals: {
      total_items: String(total),
      total_items_tax: "0",
      total_fees: "0",
      total_fees_tax: "0",
      total_discount: "0",
      total_discount_tax: "0",
      total_shipping: null,
      total_shipping_tax: null,
      total_price: String(total),
      total_tax: "0",
      tax_lines: [],
      currency_code: currency,
      currency_symbol: "£",
      currency_minor_unit: minorUnit,
      currency_decimal_separator: ".",
      currency_thousand_separator: ",",
      currency_prefix: "£",
      currency_suffix: "",
    },
    shipping_address: {},
    billing_address: {},
    needs_payment: total > 0,
    needs_shipping: total > 0,
    payment_requirements: ["products"],
    has_calculated_shipping: false,
    shipping_rates: [],
    items_count: lines.reduce((sum, { held }) => sum + held.quantity, 0),
    items_weight: 0,
    cross_sells: [],
    errors: [],
    payment_methods: ["bacs", "cod"],
    extensions: {},
  };
}
