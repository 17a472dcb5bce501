import { normalEmail } from "../../protocol/email";
import type { IngestMessage } from "../db/browsers";
import { browsersOf, siblingsOf } from "../db/browsers";
import { accountStub } from "../sync/account";
import type { Browser } from "./person";
import { shopperStub } from "./shopper";

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
      for (const { email: stored, name, browser } of found) {
        if (!stored) continue;
        const email = normalEmail(stored);
        const person = persons.get(email) ?? { browsers: [] };
        person.browsers.push(browser);
        if (name) person.name = name;
        persons.set(email, person);
      }
      await Promise.all(
        [...persons].map(([email, { name, browsers }]) => shopperStub(env, site, email).observe(site, email, browsers, name)),
      );
    }),
  );
}
