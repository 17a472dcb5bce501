import type { IngestMessage } from "../db/browsers";
import { browsersOf, siblingsOf } from "../db/browsers";
import { clickTies } from "../db/click-ties";
import { accountStub } from "../sync/account";
import { type Browser, type Handed, PHONE_KEY } from "./person";
import { personStub } from "./shopper";

/**
 * After batches are stored (by the queue consumer, or at once for a purchase or an identify):
 * tells each reachable person's object what their browsers now look like. A browser that just
 * identified brings along the person's other devices (same signed-in user) and everything it did
 * before it was known. Browsers of nobody cost nothing more.
 */
export async function observeBatches(env: Env, messages: Pick<IngestMessage, "site" | "aid" | "events">[]): Promise<void> {
  if (!messages.length) return;
  const bySite = new Map<number, Set<string>>();
  for (const m of messages) {
    const aids = bySite.get(m.site) ?? new Set<string>();
    aids.add(m.aid);
    bySite.set(m.site, aids);
  }
  // Identifying can tie other browsers to the person: look for them.
  const identifying = messages.filter((m) => m.events.some((e) => e.type === "identify"));
  if (identifying.length) {
    const siblings = await siblingsOf(env.DB, identifying);
    identifying.forEach((m, i) => {
      for (const aid of siblings[i] ?? []) bySite.get(m.site)?.add(aid);
    });
  }
  await Promise.all(
    [...bySite].map(async ([site, aids]) => {
      const persons = new Map<string, { name?: string; browsers: Browser[] }>();
      const found = await browsersOf(env.DB, site, [...aids]);
      // A signed-in device's order empties the account cart too, on every device.
      const buyers = new Set(messages.filter((m) => m.site === site && m.events.some((e) => e.type === "purchase")).map((m) => m.aid));
      await Promise.all(
        found.flatMap(({ userId, browser }) =>
          userId && buyers.has(browser.aid) && browser.orders.length
            ? [accountStub(env, site, userId).ordered(Math.max(...browser.orders.map((o) => o.at)))]
            : [],
        ),
      );
      await creditClicks(
        env,
        site,
        found.filter((f) => !f.key && buyers.has(f.browser.aid)),
      );
      const identified = new Set(identifying.filter((m) => m.site === site).map((m) => m.aid));
      const handing = new Map<string, { phone: string; aids: string[] }[]>();
      for (const { key: email, email: stored, phone, name, browser } of found) {
        // A shopper who gave only a consented number is a person too, keyed by it (README, SMS),
        // and so is a browser a text's link tied to that number.
        if (!email) continue;
        const person = persons.get(email) ?? { browsers: [] };
        person.browsers.push(browser);
        if (name) person.name = name;
        persons.set(email, person);
        // This browser gave its email now, and a number before: the number's person hands it over.
        if (stored && phone && identified.has(browser.aid)) {
          const list = handing.get(email) ?? [];
          const same = list.find((h) => h.phone === phone);
          if (same) same.aids.push(browser.aid);
          else list.push({ phone, aids: [browser.aid] });
          handing.set(email, list);
        }
      }
      await Promise.all(
        [...persons].map(async ([email, { name, browsers }]) => {
          const handed: Handed = { sequences: [], starts: [], sends: [], orders: [] };
          for (const { phone, aids } of handing.get(email) ?? []) {
            const got = await personStub(env, site, `${PHONE_KEY}${phone}`).handOver(aids, email);
            if (!got) continue;
            for (const key of ["sequences", "starts", "sends", "orders"] as const) (handed[key] as unknown[]).push(...got[key]);
            handed.activity = Math.max(handed.activity ?? 0, got.activity ?? 0);
          }
          await personStub(env, site, email).observe(
            site,
            email,
            browsers,
            name,
            handed.sequences.length || handed.sends.length || handed.orders.length || handed.activity ? handed : undefined,
          );
        }),
      );
    }),
  );
}

/**
 * Orders paid on browsers nobody identified, on which a recovery link was opened: each reaches the
 * person of the link's sequence as an order (credited to the message, ending the intent), paid
 * at or after the click. The browser itself is not handed to them (links/routes.ts).
 */
async function creditClicks(env: Env, site: number, anonymous: { browser: Browser }[]): Promise<void> {
  if (!anonymous.length) return;
  const ties = await clickTies(
    env.DB,
    site,
    anonymous.map((a) => a.browser.aid),
  );
  for (const { aid, key, at } of ties) {
    const orders = anonymous.find((a) => a.browser.aid === aid)?.browser.orders.filter((o) => o.at >= at) ?? [];
    for (const order of orders) await personStub(env, site, key).order(site, key, order, aid);
  }
}
