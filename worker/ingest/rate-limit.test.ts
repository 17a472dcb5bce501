import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { batchOf, cartEvent, count, eventually, postEvents, seedSite } from "../test/helpers";

// In tests a site key may send 100 requests a minute and an address 40 (worker/vitest.config.ts).
const send = (key: string, ip?: string) =>
  postEvents(key, batchOf([cartEvent(Date.now(), [{ id: "tea", price: 100, quantity: 1 }])]), { ip });

/** `n` requests, 25 at a time: the statuses in order of sending. */
async function sendMany(n: number, key: string, ipOf: (i: number) => string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 25) {
    const chunk = Array.from({ length: Math.min(25, n - i) }, (_, j) => send(key, ipOf(i + j)).then((r) => r.status));
    statuses.push(...(await Promise.all(chunk)));
  }
  return statuses;
}

const storedEvents = (key: string) =>
  count(env.DB, "SELECT count(*) AS n FROM events e JOIN sites s ON s.id = e.site_id WHERE s.key = ?", key);

describe("ingest rate limits", () => {
  it("one client address gets 429 with Retry-After past its limit; other addresses go on", async () => {
    const site = await seedSite(env.DB);
    const statuses = await sendMany(45, site.key, () => "203.0.113.7");
    expect(statuses.filter((s) => s === 202)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);

    const limited = await send(site.key, "203.0.113.7");
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.headers.get("access-control-allow-origin")).toBeTruthy(); // the script can read it and back off
    expect(await limited.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect((await send(site.key, "198.51.100.4")).status).toBe(202);
  });

  it("a site key gets 429 past its own limit, whatever addresses the requests come from", async () => {
    const site = await seedSite(env.DB);
    const other = await seedSite(env.DB);
    const statuses = await sendMany(110, site.key, (i) => `192.0.2.${i % 250}`);
    expect(statuses.filter((s) => s === 202)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect((await send(site.key, "192.0.2.1")).headers.get("retry-after")).toBe("10");
    expect((await send(other.key, "192.0.2.1")).status).toBe(202); // another shop is not affected
  });

  it("a limited request stores nothing", async () => {
    const site = await seedSite(env.DB);
    await sendMany(40, site.key, () => "203.0.113.99");
    await eventually(async () => expect(await storedEvents(site.key)).toBe(40), 15_000);
    expect((await send(site.key, "203.0.113.99")).status).toBe(429);
    await new Promise((r) => setTimeout(r, 1500)); // longer than one consumer batch (1 s)
    expect(await storedEvents(site.key)).toBe(40);
  });

  it("loopback clients (local load tests) are held only to the per-site limit", async () => {
    const site = await seedSite(env.DB);
    expect(new Set(await sendMany(60, site.key, () => "127.0.0.1"))).toEqual(new Set([202]));
  });
});
