// The dashboard's audience forms (issue 22, points 6-8): a CSV upload of suppressions and the
// audience/exclusion settings, each behind the session's CSRF token like every dashboard form.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { suppress } from "../db/ledger";
import { count, ORIGIN, seedSite } from "../test/helpers";

const BASE = "https://collector.test";
let site: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
});

const get = (path: string, cookie = "") => exports.default.fetch(`${BASE}${path}`, { headers: { cookie }, redirect: "manual" });
const post = (path: string, body: FormData | URLSearchParams, cookie: string, origin = BASE) =>
  exports.default.fetch(`${BASE}${path}`, { method: "POST", redirect: "manual", headers: { cookie, origin }, body });

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const res = await post("/dashboard/login", new URLSearchParams({ site: site.key, secret: `sk_${site.key}` }), "");
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
  const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(await (await get("/dashboard", cookie)).text())?.[1] as string;
  return { cookie, csrf };
}

const suppressed = () => count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE site_id = ?", site.id);

describe("suppressions in the dashboard", () => {
  it("uploads a CSV export (multipart), refuses a forged form, and a bad file whole", async () => {
    const { cookie, csrf } = await signIn();
    const upload = (token: string | null, csv: string, action = "suppress") => {
      const form = new FormData();
      if (token) form.set("_csrf", token);
      form.set("action", action);
      form.set("list", "");
      form.set("file", new File([csv], "klaviyo-suppressed.csv", { type: "text/csv" }));
      return post("/dashboard/suppressions", form, cookie);
    };
    const csv = "Email,First Name\r\nuno@example.com,Uno\r\nDOS@example.com,Dos\r\n";
    expect((await upload(null, csv)).status).toBe(403);
    expect((await upload(`${csrf.slice(1)}0`, csv)).status).toBe(403);
    expect(await suppressed()).toBe(0);
    const bad = await upload(csrf, "Email\r\ntres@example.com\r\n<script>\r\n");
    expect(bad.status).toBe(422);
    const text = await bad.text();
    expect(text).toContain("Nothing was changed.");
    expect(text).toContain("&quot;&lt;script&gt;&quot; is not an email address");
    expect(await suppressed()).toBe(0);
    const ok = await upload(csrf, csv);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("2 suppressed (0 already were).");
    expect(await suppressed()).toBe(2);
  });

  it("a pasted lift removes the merchant's own only, and says an unsubscribe stays", async () => {
    const { cookie, csrf } = await signIn();
    await suppress(env.DB, site.id, "gone@example.com", "one_click", Date.now());
    await post("/dashboard/suppressions", new URLSearchParams({ _csrf: csrf, action: "suppress", list: "uno@example.com" }), cookie);
    const res = await post(
      "/dashboard/suppressions",
      new URLSearchParams({ _csrf: csrf, action: "lift", list: "uno@example.com\ngone@example.com" }),
      cookie,
    );
    const text = await res.text();
    expect(text).toContain("1 of your suppressions lifted. 1 stay suppressed");
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE site_id = ? AND email = 'gone@example.com'", site.id)).toBe(1);
  });
});

describe("audience settings in the dashboard", () => {
  it("saves the mode and the rules, and names a line it cannot read", async () => {
    const { cookie, csrf } = await signIn();
    const fields = {
      _csrf: csrf,
      audience: "customers_only",
      minValue: "EUR 15.00\nJPY 1500",
      maxValue: "",
      productIds: "gift-card\nsample",
      lineData: "preorder\nkind=sample",
    };
    const bad = await post("/dashboard/audience", new URLSearchParams({ ...fields, maxValue: "fifteen" }), cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("is not an amount like EUR 15.00");
    const ok = await post("/dashboard/audience", new URLSearchParams(fields), cookie);
    expect(ok.status).toBe(200);
    const page = await ok.text();
    expect(page).toContain("Audience saved.");
    expect(page).toContain('value="customers_only" selected');
    const stored = await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(site.id).first<string>("settings");
    expect(JSON.parse(stored ?? "{}")).toMatchObject({
      audience: "customers_only",
      exclusions: {
        minValue: { EUR: 1500, JPY: 1500 },
        productIds: ["gift-card", "sample"],
        lineData: [{ key: "preorder" }, { key: "kind", value: "sample" }],
      },
    });
    expect((await post("/dashboard/audience", new URLSearchParams({ ...fields, _csrf: "0".repeat(64) }), cookie)).status).toBe(403);
  });

  it("shows the excluded carts' card", async () => {
    const { cookie } = await signIn();
    expect(await (await get("/dashboard", cookie)).text()).toContain('data-figure="excluded"');
  });
});
