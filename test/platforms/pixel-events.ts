// A recorded checkout on a Shopify store, as the Custom Pixel's subscribers receive it: the
// payloads follow the standard events' documented shapes (URL beside each); values are ours.
// The shopper's first card is declined, the second goes through.
import type { PixelEvent } from "../../sdk/platforms/pixel";

const checkout = (extra: Record<string, unknown> = {}) => ({
  token: "ec1f2b3a4d5e6f708192a3b4c5d6e7f8",
  currencyCode: "CAD",
  subtotalPrice: { amount: 30.5, currencyCode: "CAD" },
  totalPrice: { amount: 30.5, currencyCode: "CAD" },
  totalTax: { amount: 0, currencyCode: "CAD" },
  email: null,
  lineItems: [
    {
      id: "39897499729985",
      quantity: 2,
      title: "Health potion",
      variant: {
        id: "39897499729985",
        title: "S / Low",
        price: { amount: 9, currencyCode: "CAD" },
        product: { id: "6786188247105", title: "Health potion" },
      },
    },
  ],
  order: null,
  ...extra,
});

const at = (seq: number) => ({
  id: `sh-${seq}`,
  clientId: "xxxx-yyyy",
  seq,
  timestamp: new Date(1_760_000_000_000 + seq * 1000).toISOString(),
  type: "standard",
});

export const declinedThenPaid: PixelEvent[] = [
  // https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_started
  { ...at(1), name: "checkout_started", data: { checkout: checkout() } },
  // https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_contact_info_submitted
  { ...at(2), name: "checkout_contact_info_submitted", data: { checkout: checkout({ email: "ana.pixel@example.com" }) } },
  // https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_shipping_info_submitted
  {
    ...at(3),
    name: "checkout_shipping_info_submitted",
    data: {
      checkout: checkout({
        email: "ana.pixel@example.com",
        shippingLine: { price: { amount: 12.99, currencyCode: "CAD" } },
        totalPrice: { amount: 43.49, currencyCode: "CAD" },
      }),
    },
  },
  // https://shopify.dev/docs/api/web-pixels-api/standard-events/payment_info_submitted
  { ...at(4), name: "payment_info_submitted", data: { checkout: checkout({ email: "ana.pixel@example.com" }) } },
  // https://shopify.dev/docs/api/web-pixels-api/standard-events/alert_displayed (event.data.alert: target, type, message)
  {
    ...at(5),
    name: "alert_displayed",
    data: { alert: { target: '[id="number"]', type: "PAYMENT_ERROR", message: "Your card was declined." } },
  },
  {
    ...at(6),
    name: "alert_displayed",
    data: { alert: { target: '[id="TextField3"]', type: "INPUT_INVALID", message: "Enter a valid postal code" } },
  },
  { ...at(7), name: "payment_info_submitted", data: { checkout: checkout({ email: "ana.pixel@example.com" }) } },
  // https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_completed
  {
    ...at(8),
    name: "checkout_completed",
    data: {
      checkout: checkout({
        email: "ana.pixel@example.com",
        shippingLine: { price: { amount: 12.99, currencyCode: "CAD" } },
        totalPrice: { amount: 43.49, currencyCode: "CAD" },
        order: { id: "5678901234567" },
      }),
    },
  },
] as PixelEvent[];
