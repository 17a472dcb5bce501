import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { MINUTE, messagesOf } from "../test/recovery";
import { isQuiet, wallMinutes } from "./quiet";
import { shopperStub } from "./shopper";

/** A shopper gone quiet ten minutes ago, from a browser Cloudflare places in `timeZone`. */
async function abandonIn(key: string, email: string, timeZone: string) {
  const at = Date.now() - 10 * MINUTE;
  const batch = {
    aid: randomId(),
    sentAt: Date.now(),
    events: [
      {
        id: randomId(),
        at,
        type: "cart",
        action: "set",
        cart: { currency: "EUR", lines: [{ id: "t", name: "Tea", price: 500, quantity: 1 }] },
      },
      { id: randomId(), at: at + 1, type: "identify", email },
    ],
  };
  const res = await exports.default.fetch(
    new Request(`https://collector.test/v1/events?site=${key}`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", origin: ORIGIN },
      body: JSON.stringify(batch),
      cf: { timezone: timeZone },
    }),
  );
  expect(res.status).toBe(202);
}

const hhmm = (minutes: number) => {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
};

it("the person's object holds a step due in the shopper's night until it ends, and sends a daytime shopper's at once", async () => {
  // A night around now on Kolkata's clock (from an hour ago to two hours ahead): whatever the hour
  // the test runs at, it is night in Kolkata and day in Auckland (6.5-7.5 h ahead) and New York.
  const now = wallMinutes(Date.now(), "Asia/Kolkata");
  const quietHours = { start: hhmm(now - 60), end: hhmm(now + 120) };
  expect(isQuiet(Date.now(), "Pacific/Auckland", quietHours)).toBe(false);
  const site = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0, quietHours, timeZone: "America/New_York" });

  await abandonIn(site.key, "night@example.com", "Asia/Kolkata");
  await abandonIn(site.key, "day@example.com", "Pacific/Auckland");
  await eventually(async () => expect((await messagesOf("day@example.com")).results).toHaveLength(1), 15_000);
  expect((await messagesOf("night@example.com")).results).toEqual([]);
  // The night shopper's sequence waits for the end of the night on their clock, to the minute.
  const alarm = await eventually(async () => {
    const at = await runInDurableObject(shopperStub(env, site.id, "night@example.com"), (_o, state) => state.storage.getAlarm());
    expect(at).toBeGreaterThan(Date.now() + 100 * MINUTE);
    return at as number;
  });
  expect(wallMinutes(alarm, "Asia/Kolkata")).toBe((now + 120) % 1440);
  expect(alarm - Date.now()).toBeLessThan(121 * MINUTE);
});
