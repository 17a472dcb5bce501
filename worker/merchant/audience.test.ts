// The merchant API's suppressions and excluded shoppers (issue 22, points 6 and 7), in workerd with D1.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ErrorBody } from "../../protocol/types";
import { suppress } from "../db/ledger";
import { suppressPhone } from "../db/suppressions";
import { count, ORIGIN, seedSite } from "../test/helpers";

let site: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
});

const call = (path: string, { method = "GET", body = undefined as unknown, type = "application/json", secret = `sk_${site.key}` } = {}) =>
  exports.default.fetch(`https://collector.test/v1/sites/${site.key}${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, "content-type": type },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const stored = () =>
  count(
    env.DB,
    "SELECT (SELECT count(*) FROM suppressions WHERE site_id = ?1) + (SELECT count(*) FROM sms_suppressions WHERE site_id = ?1) AS n",
    site.id,
  );

describe("suppressions", () => {
  it("needs the site's secret", async () => {
    expect((await call("/suppressions", { secret: "sk_wrong" })).status).toBe(403);
    expect((await call("/suppressions", { method: "POST", secret: "sk_wrong", body: { emails: ["a@example.com"] } })).status).toBe(403);
  });

  it("refuses a list with a bad entry by its index, and stores none of it", async () => {
    const res = await call("/suppressions", {
      method: "POST",
      body: { emails: ["ok@example.com", "broken"], phones: ["+34600111222", "12"] },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("invalid_list");
    expect(body.error.issues?.map((i) => i.path)).toEqual(["emails.1", "phones.1"]);
    expect(await stored()).toBe(0);
    expect((await call("/suppressions", { method: "POST", body: "{nope" })).status).toBe(400);
  });

  it("adds emails and numbers in their one form, lists them with source and date, page by page", async () => {
    const res = await call("/suppressions", {
      method: "POST",
      body: { emails: [" Zoe@Example.com", "ana@example.com", "ANA@example.com"], phones: ["+34 600 111 222"] },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ received: { emails: 2, phones: 1 }, added: { emails: 2, phones: 1 } });
    const first = (await (await call("/suppressions?limit=2")).json()) as {
      suppressions: { value: string; source: string }[];
      next: string;
    };
    expect(first.suppressions).toMatchObject([
      { channel: "sms", value: "+34600111222", source: "merchant" },
      { channel: "email", value: "ana@example.com", source: "merchant" },
    ]);
    expect(first.next).toBe("ana@example.com");
    const second = (await (await call(`/suppressions?limit=2&after=${encodeURIComponent(first.next)}`)).json()) as {
      suppressions: { value: string; createdAt: string }[];
      next: string | null;
    };
    expect(second.suppressions.map((s) => s.value)).toEqual(["zoe@example.com"]);
    expect(second.next).toBeNull();
    expect(Date.parse(second.suppressions[0]?.createdAt ?? "")).toBeGreaterThan(0);
    expect((await call("/suppressions?limit=0")).status).toBe(400);
  });

  it("a delete lifts only the merchant's own: an unsubscribe or a STOP stays, and the answer says so", async () => {
    await suppress(env.DB, site.id, "left@example.com", "one_click", Date.now());
    await suppressPhone(env.DB, site.id, "+34600999888", "stop", Date.now());
    await call("/suppressions", { method: "POST", body: { emails: ["mine@example.com"] } });
    const res = await call("/suppressions", {
      method: "DELETE",
      body: { emails: ["mine@example.com", "left@example.com"], phones: ["+34600999888"] },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { removed: number; kept: unknown[]; note: string };
    expect(body.removed).toBe(1);
    expect(body.kept).toEqual([
      { channel: "email", value: "left@example.com", source: "one_click" },
      { channel: "sms", value: "+34600999888", source: "stop" },
    ]);
    expect(body.note).toMatch(/never lifted/);
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE site_id = ? AND email = 'left@example.com'", site.id)).toBe(1);
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE site_id = ? AND email = 'mine@example.com'", site.id)).toBe(0);
  });

  it("imports a CSV export of the shop's previous email tool, all or nothing", async () => {
    const csv = "Email,First Name,Phone Number\r\ncsv.one@example.com,One,\r\ncsv.two@example.com,Two,+34 611 222 333\r\n";
    const res = await call("/suppressions", { method: "POST", body: csv, type: "text/csv" });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ received: { emails: 2, phones: 1 }, added: { emails: 2, phones: 1 } });
    const before = await stored();
    const bad = await call("/suppressions", { method: "POST", body: "Email\ncsv.three@example.com\nnot mail\n", type: "text/csv" });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ErrorBody).error.issues).toEqual([{ path: "row 3", message: '"not mail" is not an email address' }]);
    expect(await stored()).toBe(before);
  });
});

describe("excluded shoppers", () => {
  it("adds, lists and removes people by email or number", async () => {
    const add = await call("/excluded-shoppers", { method: "POST", body: { emails: ["Staff@Shop.example"], phones: ["+34600111222"] } });
    expect(add.status).toBe(201);
    expect(await add.json()).toEqual({ received: 2, added: 2 });
    const list = (await (await call("/excluded-shoppers")).json()) as { shoppers: { key: string }[] };
    expect(list.shoppers.map((s) => s.key)).toEqual(["staff@shop.example", "tel:+34600111222"]);
    const del = await call("/excluded-shoppers", { method: "DELETE", body: { emails: ["staff@shop.example"] } });
    expect(await del.json()).toEqual({ removed: 1 });
    expect((await call("/excluded-shoppers", { method: "POST", body: { emails: ["x"] } })).status).toBe(422);
  });
});

describe("exclusion settings", () => {
  it("are validated whole, unknown fields named", async () => {
    const ok = await call("/settings", {
      method: "PATCH",
      body: {
        audience: "customers_only",
        exclusions: {
          minValue: { EUR: 1500 },
          productIds: ["gift-card"],
          lineData: [{ key: "preorder" }, { key: "kind", value: "sample" }],
        },
      },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      settings: { audience: "customers_only", exclusions: { minValue: { EUR: 1500 }, maxValue: {}, productIds: ["gift-card"] } },
    });
    const bad = await call("/settings", {
      method: "PATCH",
      body: { audience: "friends", exclusions: { minValue: { euro: 5 }, maxValu: {} } },
    });
    expect(bad.status).toBe(422);
    const paths = ((await bad.json()) as ErrorBody).error.issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["exclusions.maxValu", "audience"]));
  });
});
