import type { MomentEvent } from "../../protocol/types";
import type { IngestMessage } from "../ingest/message";
import { correctedAt } from "../ingest/store";
import { type Observation, shopperStub } from "./shopper";

interface ShopperRow {
  email: string | null;
  name: string | null;
  status: "active" | "empty" | "purchased" | null;
  value: number | null;
  currency: string | null;
  expires_at: number | null;
}

/**
 * After a chunk of batches is stored: tells each reachable shopper's object what happened. Only
 * shoppers with an email are followed up; the rest cost nothing more.
 */
export async function observeBatches(env: Env, messages: IngestMessage[]): Promise<void> {
  if (!messages.length) return;
  const rows = await env.DB.batch(
    messages.map((m) =>
      env.DB.prepare(
        `SELECT s.email, s.name, c.status, c.value, c.currency, c.expires_at
         FROM shoppers s LEFT JOIN carts c ON c.site_id = s.site_id AND c.aid = s.aid
         WHERE s.site_id = ? AND s.aid = ?`,
      ).bind(m.site, m.aid),
    ),
  );
  await Promise.all(
    messages.map((m, i) => {
      const row = rows[i]?.results[0] as ShopperRow | undefined;
      return row?.email ? shopperStub(env, m.site, row.email).observe(observationOf(m, row as ShopperRow & { email: string })) : undefined;
    }),
  );
}

function observationOf(m: IngestMessage, row: ShopperRow & { email: string }): Observation {
  const times = m.events.map((e) => correctedAt(m, e));
  const purchase = m.events.findLast((e) => e.type === "purchase");
  return {
    site: m.site,
    email: row.email,
    aid: m.aid,
    name: row.name ?? undefined,
    activityAt: Math.max(...times),
    cart: row.status
      ? { status: row.status, value: row.value ?? 0, currency: row.currency ?? "EUR", expiresAt: row.expires_at ?? 0 }
      : undefined,
    purchase: purchase && { orderId: purchase.orderId, total: purchase.total, at: correctedAt(m, purchase) },
    moments: m.events
      .filter((e): e is MomentEvent => e.type === "moment")
      .map((e) => ({ kind: e.kind, code: e.code, value: e.value, at: correctedAt(m, e) })),
    checkoutAt: m.events
      .filter((e) => e.type === "checkout")
      .map((e) => correctedAt(m, e))
      .at(-1),
  };
}
