// Which of a Shopify line's properties Cartback must not keep, on both sides: the Shopify adapter
// (sdk/platforms/shopify-cart.ts) leaves them out of a line's data, and the collector's schema
// (schema.ts LineDataSchema) drops them from whatever an older script still sends, as `p:` keys.
import type { LineData } from "./types";

/** The line data prefix of a Shopify line property (sdk/platforms/shopify-cart.ts). */
export const PROPERTY = "p:";

// Shopify's gift card recipient form, https://shopify.dev/docs/storefronts/themes/product-merchandising/gift-cards:
// the name, address, message and sending date of the person the card is for. A third person's data.
const RECIPIENT = ["Recipient email", "Recipient name", "Message", "Send on"];
// What marks a line whose gift card goes to a recipient (Dawn's recipient form sends both).
const RECIPIENT_MARKS = ["Recipient email", "__shopify_send_gift_card_to_recipient"];

/**
 * Whether a Shopify line property stays out of Cartback: private by Shopify's convention (a name
 * that starts with `_`, hidden at checkout: an app's own data, or the recipient form's flags), or a
 * gift card recipient's field on a line that sends a gift card to someone (`giftCard`). Restoring
 * a line does without them: the gift card comes back addressed to no one, the buyer says again who.
 *
 * @example
 * privateProperty("_bundle_id", false); // true
 * privateProperty("Message", true); // true
 * privateProperty("Engraving", false); // false
 */
export const privateProperty = (name: string, giftCard: boolean): boolean => name.startsWith("_") || (giftCard && RECIPIENT.includes(name));

/** Whether a line's properties (by name) are those of a gift card sent to a recipient. */
export const sendsGiftCard = (names: string[]): boolean => names.some((n) => RECIPIENT_MARKS.includes(n));

/**
 * A line's data without the Shopify properties Cartback must not keep (`privateProperty`), for
 * the collector, whichever script sent it.
 *
 * @example
 * withoutPrivate({ key: "4:ab", "p:_uid": "x", "p:Engraving": "Ana" }); // { key: "4:ab", "p:Engraving": "Ana" }
 */
export function withoutPrivate(data: LineData): LineData {
  const names = Object.keys(data).flatMap((k) => (k.startsWith(PROPERTY) ? [k.slice(PROPERTY.length)] : []));
  const gift = sendsGiftCard(names);
  return Object.fromEntries(
    Object.entries(data).filter(([k]) => !(k.startsWith(PROPERTY) && privateProperty(k.slice(PROPERTY.length), gift))),
  );
}
