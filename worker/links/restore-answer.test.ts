import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addCodes } from "../db/codes";
import { eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { abandon, deliver, messagesOf } from "../test/recovery";

// What GET /v1/restore tells the page besides the cart: the site's restore mode (for `connect` and
// the platform adapters) and, for a Shopify store that chose cart permalinks, the code the message
// offered, so the permalink carries `?discount=`. And the Custom Pixel's `Origin: null`, taken only
// from a site that runs the pixel, only on the events route.

const BASE = { abandonAfterMinutes: 1, holdoutPercent: 0 };
const OFFER = { code: "BACK10", description: "10% off your order" };

/** A shopper abandons, gets the first message, opens its link: the restore answer their page gets. */
async function answerFor(settings: Record<string, unknown>, seed?: (site: { id: number }) => Promise<unknown>) {
  const site = await seedSite(env.DB, [ORIGIN], { ...BASE, ...settings });
  await seed?.(site);
  const email = `restore.${randomId().slice(0, 8).toLowerCase()}@example.com`;
  await abandon(site.key, email);
  const [message] = await eventually(async () => {
    const { results } = await messagesOf(email);
    expect(results).toHaveLength(1);
    return results;
  }, 15_000);
  await deliver([{ kind: "recovery", id: message?.id as string, site: site.id, email }]);
  const mail = await env.DB.prepare(`SELECT html FROM dev_outbox WHERE "to" = ?`).bind(email).first<string>("html");
  const path = new URL(/href="([^"]*\/r\/[^"]+)"/.exec(mail ?? "")?.[1] as string).pathname;
  const click = await exports.default.fetch(`https://collector.test${path}`, { method: "POST", redirect: "manual" });
  const token = new URL(click.headers.get("location") as string).searchParams.get("cartback_restore");
  const res = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}&token=${token}`, {
    headers: { origin: ORIGIN },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("the restore answer", () => {
  it("says the site's restore mode, replace by default", async () => {
    expect(await answerFor({})).toMatchObject({ status: "restored", restoreMode: "replace" });
    const merged = await answerFor({ restoreMode: "merge" });
    expect(merged.restoreMode).toBe("merge");
    expect(merged).not.toHaveProperty("cartPermalink");
  });

  it("with cart permalinks, carries the static code when the message offered the incentive, and none when it did not", async () => {
    const offered = await answerFor({ cartPermalink: true, incentive: OFFER, steps: [{ afterMinutes: 0, incentive: true }] });
    expect(offered).toMatchObject({ cartPermalink: true, discount: "BACK10" });
    const plain = await answerFor({ cartPermalink: true, incentive: OFFER, steps: [{ afterMinutes: 0, incentive: false }] });
    expect(plain.cartPermalink).toBe(true);
    expect(plain.discount).toBeUndefined();
  });

  it("with a pool of codes, carries the sequence's own code", async () => {
    const answer = await answerFor(
      { cartPermalink: true, incentive: { ...OFFER, unique: true }, steps: [{ afterMinutes: 0, incentive: true }] },
      (site) => addCodes(env.DB, site.id, ["ONLY-FOR-YOU-1"], Date.now(), 0),
    );
    expect(answer.discount).toBe("ONLY-FOR-YOU-1");
  });

  it("refuses a restore mode it does not know, naming it", async () => {
    const site = await seedSite(env.DB);
    const res = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/settings`, {
      method: "PATCH",
      headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
      body: JSON.stringify({ restoreMode: "append" }),
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain("restoreMode");
  });
});

describe("Shopify's Custom Pixel (Origin: null)", () => {
  const batch = () => ({ aid: randomId(), sentAt: Date.now(), events: [{ id: randomId(), at: Date.now(), type: "checkout" }] });

  it("is refused by a site that does not run the pixel", async () => {
    const site = await seedSite(env.DB);
    const res = await postEvents(site.key, batch(), { origin: "null" });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("origin_not_allowed");
  });

  it("is taken by a site with shopifyPixel on, and answered so the sandbox can read the answer", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { shopifyPixel: true });
    const res = await postEvents(site.key, batch(), { origin: "null" });
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe("null");
    // Still no request without an Origin at all, and no foreign origin.
    expect((await postEvents(site.key, batch(), { origin: null })).status).toBe(403);
    expect((await postEvents(site.key, batch(), { origin: "https://evil.example" })).status).toBe(403);
  });

  it("is taken on the events route only", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { shopifyPixel: true });
    const res = await exports.default.fetch(`https://collector.test/v1/sync?site=${site.key}`, {
      method: "POST",
      headers: { origin: "null", "content-type": "text/plain" },
      body: "{}",
    });
    expect(res.status).toBe(403);
  });
});
