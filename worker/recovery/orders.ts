import { normalEmail } from "../../protocol/email";
import { recordServerOrder } from "../db/browsers";
import { phoneOnlyBrowser } from "../db/sms";
import { PHONE_KEY } from "./person";
import { shopperStub } from "./shopper";

/** A paid order from outside the browser: the shop's server (merchant API) or its platform (a webhook). */
export interface ServerOrder {
  orderId: string;
  /** In the currency's minor units. */
  total: number;
  currency: string;
  /** When it was paid, on the collector's clock. */
  at: number;
  /** The browser that had the cart, when known: the order is then part of that browser's record. */
  aid?: string;
}

/**
 * Records a paid order once (by its id) and tells each person it is about: their object adds it
 * to their orders, which ends the purchase intent on every one of their devices (no message goes
 * after it), and credits it to the sequence whose message came last before it. Every step is
 * idempotent, so a redelivered order changes nothing. Returns how many persons were told.
 *
 * @example
 * await reportOrder(env, site.id, { orderId: "1001", total: 3750, currency: "EUR", at: Date.now() }, ["ana@example.com"]);
 */
export async function reportOrder(env: Env, site: number, order: ServerOrder, emails: string[]): Promise<number> {
  await recordServerOrder(env.DB, site, order);
  const persons = [...new Set(emails.map(normalEmail))];
  // A browser known only by a consented number belongs to that number's person: they must hear of it too.
  const phone = order.aid ? await phoneOnlyBrowser(env.DB, site, order.aid) : null;
  if (phone) persons.push(`${PHONE_KEY}${phone}`);
  const paid = { orderId: order.orderId, total: order.total, at: order.at };
  await Promise.all(persons.map((email) => shopperStub(env, site, email).order(site, email, paid, order.aid)));
  return persons.length;
}
