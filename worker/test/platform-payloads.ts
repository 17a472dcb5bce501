// The platforms' documented order payloads as raw text, and what a test changes in them. No
// runtime imports: the collector's tests (worker/test/platforms.ts) and Node-side tests (a
// platform simulator, a Chromium test signing a webhook) can both use them. Kept as raw text, not
// objects: a signature covers the exact bytes, and Shopify's sample order id (past 2^53) would
// not survive a JSON round trip.

/**
 * Shopify's sample `orders/create` payload (also the body of "Send test notification"), from
 * https://shopify.dev/docs/api/webhooks/latest?reference=toml#list-of-topics-orders/create,
 * trimmed to the order's own fields and one line item (the sample's other objects, such as
 * shipping lines and tax lines, are left out). As in the sample: the id past 2^53, a voided test
 * order, no cart or checkout token, the order's email (jon@) unlike the customer's (john@).
 */
export const SHOPIFY_ORDER =
  '{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","app_id":null,"browser_ip":null,' +
  '"buyer_accepts_marketing":true,"cancel_reason":"customer","cancelled_at":"2021-12-31T19:00:00-05:00","cart_token":null,' +
  '"checkout_id":null,"checkout_token":null,"client_details":null,"closed_at":null,"confirmed":false,"contact_email":"jon@example.com",' +
  '"created_at":"2021-12-31T19:00:00-05:00","currency":"USD","current_subtotal_price":"398.00","current_total_price":"403.00",' +
  '"customer_locale":"en","email":"jon@example.com","financial_status":"voided","fulfillment_status":"pending","name":"#9999",' +
  '"note":null,"number":234,"order_number":1234,"processed_at":"2021-12-31T19:00:00-05:00","subtotal_price":"394.95",' +
  '"tags":"tag1, tag2","test":true,"token":"123456abcd","total_discounts":"5.00","total_line_items_price":"399.95",' +
  '"total_price":"404.95","total_tax":"0.00","customer":{"id":115310627314723954,"email":"john@example.com","first_name":"John",' +
  '"last_name":"Smith","currency":"USD","admin_graphql_api_id":"gid://shopify/Customer/115310627314723954"},' +
  '"line_items":[{"id":866550311766439020,"admin_graphql_api_id":"gid://shopify/LineItem/866550311766439020",' +
  '"name":"IPod Nano - 8GB","price":"199.00","product_id":632910392,"quantity":1,"sku":"IPOD2008PINK","title":"IPod Nano - 8GB",' +
  '"variant_id":808950810,"variant_title":null}]}';

/**
 * WooCommerce's order, as the REST API v3 documents it ("Retrieve an order" response example,
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order), which is the body of
 * an `order.created` / `order.updated` webhook (WC_Webhook::build_payload reads that endpoint).
 * Encoded as wp_json_encode encodes it: slashes escaped (`https:\/\/`).
 */
export const WOO_ORDER =
  '{"id":727,"parent_id":0,"number":"727","order_key":"wc_order_58d2d042d1d","created_via":"rest-api","version":"3.0.0",' +
  '"status":"processing","currency":"USD","date_created":"2017-03-22T16:28:02","date_created_gmt":"2017-03-22T19:28:02",' +
  '"date_modified":"2017-03-22T16:28:08","date_modified_gmt":"2017-03-22T19:28:08","discount_total":"0.00","discount_tax":"0.00",' +
  '"shipping_total":"10.00","shipping_tax":"0.00","cart_tax":"1.35","total":"29.35","total_tax":"1.35","prices_include_tax":false,' +
  '"customer_id":0,"customer_ip_address":"","customer_user_agent":"","customer_note":"","billing":{"first_name":"John",' +
  '"last_name":"Doe","company":"","address_1":"969 Market","address_2":"","city":"San Francisco","state":"CA","postcode":"94103",' +
  '"country":"US","email":"john.doe@example.com","phone":"(555) 555-5555"},"shipping":{"first_name":"John","last_name":"Doe",' +
  '"company":"","address_1":"969 Market","address_2":"","city":"San Francisco","state":"CA","postcode":"94103","country":"US"},' +
  '"payment_method":"bacs","payment_method_title":"Direct Bank Transfer","transaction_id":"","date_paid":"2017-03-22T16:28:08",' +
  '"date_paid_gmt":"2017-03-22T19:28:08","date_completed":null,"date_completed_gmt":null,"cart_hash":"","meta_data":[{"id":13106,' +
  '"key":"_download_permissions_granted","value":"yes"}],"line_items":[{"id":315,"name":"Woo Single #1","product_id":93,' +
  '"variation_id":0,"quantity":2,"tax_class":"","subtotal":"6.00","subtotal_tax":"0.45","total":"6.00","total_tax":"0.45",' +
  '"taxes":[{"id":75,"total":"0.45","subtotal":"0.45"}],"meta_data":[],"sku":"","price":3},{"id":316,' +
  '"name":"Ship Your Idea &ndash; Color: Black, Size: M Test","product_id":22,"variation_id":23,"quantity":1,"tax_class":"",' +
  '"subtotal":"12.00","subtotal_tax":"0.90","total":"12.00","total_tax":"0.90","taxes":[{"id":75,"total":"0.9","subtotal":"0.9"}],' +
  '"meta_data":[{"id":2095,"key":"pa_color","value":"black"},{"id":2096,"key":"size","value":"M Test"}],"sku":"Bar3","price":12}],' +
  '"tax_lines":[{"id":318,"rate_code":"US-CA-STATE TAX","rate_id":75,"label":"State Tax","compound":false,"tax_total":"1.35",' +
  '"shipping_tax_total":"0.00","meta_data":[]}],"shipping_lines":[{"id":317,"method_title":"Flat Rate","method_id":"flat_rate",' +
  '"total":"10.00","total_tax":"0.00","taxes":[],"meta_data":[]}],"fee_lines":[],"coupon_lines":[],"refunds":[],' +
  '"_links":{"self":[{"href":"https:\\/\\/example.com\\/wp-json\\/wc\\/v3\\/orders\\/727"}],' +
  '"collection":[{"href":"https:\\/\\/example.com\\/wp-json\\/wc\\/v3\\/orders"}]}}';

/** Replaces one top-level field's JSON value in a raw payload (the field must be there once). */
export function withField(raw: string, field: string, value: unknown): string {
  const pattern = new RegExp(`"${field}":("(?:[^"\\\\]|\\\\.)*"|null|true|false|-?\\d+(?:\\.\\d+)?)`);
  if (!pattern.test(raw)) throw new Error(`no field ${field} in the fixture`);
  return raw.replace(pattern, `"${field}":${JSON.stringify(value)}`);
}

/** Several fields at once. */
export const withFields = (raw: string, fields: Record<string, unknown>): string =>
  Object.entries(fields).reduce((text, [field, value]) => withField(text, field, value), raw);

/** An ISO time as Shopify writes it, and WooCommerce's GMT form. */
export const shopifyTime = (at: number) => new Date(at).toISOString().replace(/\.\d{3}Z$/, "+00:00");
export const wooTime = (at: number) => new Date(at).toISOString().slice(0, 19);
