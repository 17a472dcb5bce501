import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_SYNC_ENTRIES } from "../../protocol/limits";
import { emptySync, type Hlc, prune, record, type SyncCart, tick, view, ZERO } from "../../protocol/merge";
import type { Cart, ErrorBody } from "../../protocol/types";
import { signShopperToken } from "../../server/token";
import { ORIGIN, randomId, seedSite } from "../test/helpers";

let site: { id: number; key: string };
let other: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
  other = await seedSite(env.DB, [ORIGIN]);
});

const token = (userId = "user-1", { key = site.key, secret = `sk_${site.key}`, expiresInSeconds = 600 } = {}) =>
  signShopperToken({ site: key, userId, secret, expiresInSeconds });

const syncCall = (body: unknown, key = site.key) =>
  exports.default.fetch(`https://collector.test/v1/sync?site=${key}`, {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "text/plain" },
    body: JSON.stringify(body),
  });

/** A device: its id, its replica, its clock. */
function device(name = randomId()) {
  let clock: Hlc = ZERO;
  let replica: SyncCart = emptySync("EUR");
  return {
    aid: name,
    get replica() {
      return replica;
    },
    edit(change: (cart: Cart) => Cart) {
      replica = record(replica, change(view(replica)), () => (clock = tick(clock, name, Date.now())));
    },
    async sync(userId = "user-1") {
      replica = prune(replica, replica, { before: 0, max: MAX_SYNC_ENTRIES }); // as sdk/sync/entry.ts does
      const res = await syncCall({ token: await token(userId), aid: name, cart: replica });
      const body = (await res.json()) as { status: string; cart?: SyncCart } & ErrorBody;
      if (body.cart) replica = body.cart;
      return { status: res.status, body };
    },
  };
}

const line = (id: string, quantity = 1) => ({ id, name: id, price: 100, quantity });

describe("shopper tokens", () => {
  it.each([
    ["missing", async () => "", 401, "token_missing"],
    ["malformed", async () => "v1.not-base64!.x", 401, "token_malformed"],
    ["forged", async () => token("user-1", { secret: "sk_someone_else" }), 401, "token_forged"],
    ["expired", async () => token("user-1", { expiresInSeconds: -60 }), 401, "token_expired"],
    ["for another site", async () => token("user-1", { key: other.key, secret: `sk_${other.key}` }), 403, "token_other_site"],
  ])("a %s token is refused with a clear error", async (_what, make, status, code) => {
    const res = await syncCall({ token: await make(), aid: randomId(), cart: emptySync("EUR") });
    expect(res.status).toBe(status);
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
  });

  it("a known user id alone reads and writes nothing", async () => {
    const owner = device();
    owner.edit((c) => ({ ...c, lines: [line("secret-tea")] }));
    expect((await owner.sync("victim")).status).toBe(200);
    const res = await syncCall({ token: "", aid: randomId(), cart: emptySync("EUR"), userId: "victim" });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("secret-tea");
  });
});

describe("devices", () => {
  it("two devices converge on one cart", async () => {
    const [laptop, phone] = [device(), device()];
    laptop.edit((c) => ({ ...c, lines: [line("tea")] }));
    phone.edit((c) => ({ ...c, lines: [line("mug", 2)] }));
    await laptop.sync("converge");
    await phone.sync("converge");
    await laptop.sync("converge");
    expect(view(laptop.replica)).toEqual(view(phone.replica));
    expect(
      view(phone.replica)
        .lines.map((l) => l.id)
        .sort(),
    ).toEqual(["mug", "tea"]);
  });

  it("a 6th device retires the least recently seen one, which is told so on its next sync", async () => {
    const devices = Array.from({ length: 6 }, () => device());
    for (const d of devices.slice(0, 5)) expect((await d.sync("six")).body.status).toBe("ok");
    // Device 0 is seen again, so device 1 is now the least recently seen.
    await devices[0]?.sync("six");
    expect((await devices[5]?.sync("six"))?.body.status).toBe("ok");
    expect((await devices[1]?.sync("six"))?.body.status).toBe("retired");
    for (const i of [0, 2, 3, 4, 5]) expect((await devices[i]?.sync("six"))?.body.status).toBe("ok");
    const res = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/users/six/devices`, {
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    const { devices: listed } = (await res.json()) as { devices: { aid: string; retiredAt?: number }[] };
    expect(listed).toHaveLength(6);
    expect(listed.filter((d) => d.retiredAt).map((d) => d.aid)).toEqual([devices[1]?.aid]);
  });

  it("a revoked device can no longer read or write", async () => {
    const [kept, lost] = [device(), device()];
    kept.edit((c) => ({ ...c, lines: [line("tea")] }));
    await kept.sync("revoke");
    await lost.sync("revoke");
    const revoke = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/users/revoke/devices/${lost.aid}`, {
      method: "DELETE",
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    expect(revoke.status).toBe(200);
    lost.edit((c) => ({ ...c, lines: [...c.lines, line("stolen")] }));
    const res = await lost.sync("revoke");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("device_revoked");
    expect(JSON.stringify(res.body)).not.toContain("tea");
    await kept.sync("revoke");
    expect(view(kept.replica).lines.map((l) => l.id)).toEqual(["tea"]);
  });

  it("signing out frees the device's place", async () => {
    const d = device();
    await d.sync("signout");
    const res = await exports.default.fetch(`https://collector.test/v1/sync/signout?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN },
      body: JSON.stringify({ token: await token("signout"), aid: d.aid, cart: emptySync("EUR") }),
    });
    expect(res.status).toBe(200);
    const list = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/users/signout/devices`, {
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    expect(((await list.json()) as { devices: unknown[] }).devices).toEqual([]);
  });
});

describe("an account cart stays bounded", () => {
  it("however many lines come and go, every merged cart can be sent back", async () => {
    const phone = device();
    // 4 rounds of 90 new lines, each round removing the last: 360 removals, more than a replica may hold.
    for (let round = 0; round < 4; round++) {
      phone.edit((c) => ({ ...c, lines: Array.from({ length: 90 }, (_, i) => line(`r${round}-${i}`)) }));
      const { status } = await phone.sync();
      expect(status).toBe(200);
      expect(Object.keys(phone.replica.lines).length).toBeLessThanOrEqual(300);
    }
    expect(view(phone.replica).lines.map((l) => l.id)).toEqual(Array.from({ length: 90 }, (_, i) => `r3-${i}`));
    phone.edit((c) => ({ ...c, lines: [] }));
    expect((await phone.sync()).status).toBe(200);
  });

  it("forgets tombstones older than the cart lifetime, and does not let a stale device bring their lines back", async () => {
    const old = Date.now() - 8 * 86_400_000;
    const stale: SyncCart = {
      currency: "EUR",
      currencyAt: ZERO,
      lines: {
        removed: { at: [old, 0, "a"], pos: [old, 0, "a"] },
        ghost: { line: line("ghost"), at: [old, 0, "b"], pos: [old, 0, "b"] },
        fresh: { line: line("fresh"), at: [Date.now(), 0, "b"], pos: [Date.now(), 0, "b"] },
      },
    };
    const res = await syncCall({ token: await token("user-bounded"), aid: randomId(), cart: stale });
    expect(res.status).toBe(200);
    const { cart } = (await res.json()) as { cart: SyncCart };
    expect(Object.keys(cart.lines)).toEqual(["fresh"]);
  });
});

it("a site that requires consent syncs no account cart without it", async () => {
  const strict = await seedSite(env.DB, [ORIGIN], { requireConsent: true });
  const signed = await token("user-consent", { key: strict.key, secret: `sk_${strict.key}` });
  const body = { token: signed, aid: randomId(), cart: emptySync("EUR") };
  const refused = await syncCall(body, strict.key);
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as ErrorBody).error.code).toBe("consent_required");
  expect((await syncCall({ ...body, consent: true }, strict.key)).status).toBe(200);
});

it("the site secret is cached, boundedly, and a token signed with a changed secret works at once", async () => {
  const { cachedSecrets } = await import("./secrets");
  const rotating = await seedSite(env.DB, [ORIGIN]);
  const body = async (secret: string) => ({
    token: await signShopperToken({ site: rotating.key, userId: "rotating", secret, expiresInSeconds: 600 }),
    aid: randomId(),
    cart: emptySync("EUR"),
  });
  expect((await syncCall(await body(`sk_${rotating.key}`), rotating.key)).status).toBe(200);
  expect(cachedSecrets()).toBeGreaterThan(0);
  expect(cachedSecrets()).toBeLessThanOrEqual(1000);
  await env.DB.prepare("UPDATE sites SET secret = ? WHERE id = ?").bind("sk_rotated", rotating.id).run();
  // The cached secret reads the new token as forged: checked once more against D1, it is good.
  expect((await syncCall(await body("sk_rotated"), rotating.key)).status).toBe(200);
  const forged = await syncCall(await body("sk_never_was"), rotating.key);
  expect(((await forged.json()) as ErrorBody).error.code).toBe("token_forged");
});
