import { keepSms } from "../db/sms-outbox";
import type { SmsProvider } from "./provider";

/**
 * The local SMS provider: stores each text in D1's `dev_sms_outbox`, readable at /dev/outbox and
 * /dev/sms.json. A repeated id is stored once, so a redelivered job texts once.
 *
 * @example
 * const { providerId } = await outboxSms(env.DB).send({ id: "m_1", site: 1, to: "+34600111222", body: "…" });
 */
export function outboxSms(db: D1Database, now: () => number = Date.now): SmsProvider {
  return {
    async send(sms) {
      await keepSms(db, { id: sms.id, site_id: sms.site, to: sms.to, body: sms.body }, now());
      return { providerId: `outbox:${sms.id}` };
    },
  };
}
