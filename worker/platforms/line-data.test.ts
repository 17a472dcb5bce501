// What the collector keeps of a Shopify line's properties when an older script (or anyone) still
// sends the ones Cartback must not keep (protocol/line-data.ts): a gift card recipient's name,
// address and message, and properties private by Shopify's convention. Real ingest, queue and D1.
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { readLines } from "../../protocol/cart-changes";
import type { CartbackEvent } from "../../protocol/types";
import { batchOf, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";

// Dawn's gift card recipient form (snippets/gift-card-recipient-form.liquid) as the Shopify
// adapter of before kept it: every property under `p:`.
// https://shopify.dev/docs/storefronts/themes/product-merchandising/gift-cards
const GIFT = {
  key: "42:9f1c",
  "p:__shopify_send_gift_card_to_recipient": "on",
  "p:Recipient email": "ben@example.com",
  "p:Recipient name": "Ben",
  "p:Message": "Happy birthday, Ben!",
  "p:Send on": "2026-12-24",
  "p:__shopify_offset": "-60",
};

it("stores no gift card recipient and no private property of a line, whatever script sent them; the batch is kept", async () => {
  const site = await seedSite(env.DB, [ORIGIN]);
  const at = Date.now() - 60_000;
  const cart: CartbackEvent = {
    id: randomId(),
    at,
    type: "cart",
    action: "set",
    cart: {
      currency: "EUR",
      lines: [
        { id: "42", name: "Gift card", price: 5000, quantity: 1, data: GIFT },
        { id: "7", name: "Mug", price: 1200, quantity: 1, data: { key: "7:ab", "p:Message": "Mine", "p:_uid": "app-7" } },
      ],
    },
  };
  const batch = batchOf([cart]);
  expect((await postEvents(site.key, batch)).status).toBe(202);
  const stored = await eventually(async () => {
    const row = await env.DB.prepare("SELECT lines FROM carts WHERE site_id = ? AND aid = ?")
      .bind(site.id, batch.aid)
      .first<{ lines: string }>();
    expect(row).toBeTruthy();
    return row as { lines: string };
  });
  const event = await env.DB.prepare("SELECT data FROM events WHERE site_id = ? AND aid = ? AND type = 'cart'")
    .bind(site.id, batch.aid)
    .first<{ data: string }>("data");
  for (const text of [stored.lines, event ?? ""]) {
    expect(text).not.toMatch(/ben@example\.com|Ben|birthday|2026-12-24|_uid|__shopify/);
    expect(text).toContain('"p:Message":"Mine"');
  }
  expect(readLines(stored.lines).map((l) => l.data)).toEqual([{ key: "42:9f1c" }, { key: "7:ab", "p:Message": "Mine" }]);
});
