// The platform webhook secret in the merchant's dashboard: generated and shown once, or set to
// Shopify's own key, through a CSRF-checked form; the URLs to paste are on the page.
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { ORIGIN, randomId, seedSite } from "../test/helpers";
import { deliverHook, SHOPIFY_ORDER, shopifyHeaders, withFields } from "../test/platforms";

const BASE = "https://collector.test";
const post = (path: string, fields: Record<string, string>, cookie = "") =>
  exports.default.fetch(`${BASE}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: BASE },
    body: new URLSearchParams(fields).toString(),
  });
const page = async (cookie: string) => (await exports.default.fetch(`${BASE}/dashboard`, { headers: { cookie } })).text();

it("generates a secret shown once, sets Shopify's, refuses a bad one or a forged form, and lists the URLs", async () => {
  const site = await seedSite(env.DB, [ORIGIN]);
  const login = await post("/dashboard/login", { site: site.key, secret: `sk_${site.key}` });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
  const before = await page(cookie);
  expect(before).toContain(`http://127.0.0.1:8787/v1/hooks/shopify?site=${site.key}`);
  expect(before).toContain(`http://127.0.0.1:8787/v1/hooks/woocommerce?site=${site.key}`);
  expect(before).toContain("No platform webhook secret yet");
  const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(before)?.[1] as string;

  expect((await post("/dashboard/platform-secret", { _csrf: "0".repeat(64), action: "generate" }, cookie)).status).toBe(403);
  const made = await (await post("/dashboard/platform-secret", { _csrf: csrf, action: "generate" }, cookie)).text();
  const secret = /shown this once: (pws_[\w-]+)/.exec(made)?.[1] as string;
  expect(secret).toHaveLength(47);
  const stored = () => env.DB.prepare("SELECT platform_secret FROM sites WHERE id = ?").bind(site.id).first("platform_secret");
  expect(await stored()).toBe(secret);
  const after = await page(cookie);
  expect(after).toContain("A platform webhook secret is set.");
  expect(after).not.toContain(secret); // shown once only
  const webhook = () =>
    deliverHook("shopify", site.key, withFields(SHOPIFY_ORDER, { financial_status: "paid", test: false }), {
      headers: shopifyHeaders("orders/paid", randomId()),
      secret,
    });
  expect((await webhook()).status).toBe(200);

  const bad = await post("/dashboard/platform-secret", { _csrf: csrf, action: "set", secret: "too short" }, cookie);
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain("Nothing was saved.");
  expect(await stored()).toBe(secret);
  const shopifyKey = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const set = await post("/dashboard/platform-secret", { _csrf: csrf, action: "set", secret: ` ${shopifyKey} ` }, cookie);
  expect(await set.text()).toContain("Platform webhook secret set.");
  expect(await stored()).toBe(shopifyKey);
  expect((await webhook()).status).toBe(401); // the generated one no longer opens the site
});
