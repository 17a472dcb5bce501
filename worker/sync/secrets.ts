import { verifyShopperToken } from "../../server/token";
import { secretOf } from "../db/sites";

// Every sync (and every socket's first message) checks a shopper token with its site's secret.
// Reading D1 each time was most of a sync's cost, so each isolate keeps a few secrets briefly.
// Bounded (least recently used go first), so a collector serving many sites holds no more than
// MAX_SECRETS; and short-lived, so a changed secret is used within SECRET_FOR_MS everywhere.
const MAX_SECRETS = 1000;
const SECRET_FOR_MS = 60_000;
const secrets = new Map<number, { secret: string; until: number }>();

async function secretFor(db: D1Database, site: number, fresh: boolean): Promise<string> {
  const hit = secrets.get(site);
  secrets.delete(site);
  if (hit && !fresh && hit.until > Date.now()) {
    secrets.set(site, hit); // now the most recently used
    return hit.secret;
  }
  const secret = (await secretOf(db, { id: site })) ?? "";
  secrets.set(site, { secret, until: Date.now() + SECRET_FOR_MS });
  for (const oldest of secrets.keys()) {
    if (secrets.size <= MAX_SECRETS) break;
    secrets.delete(oldest);
  }
  return secret;
}

/**
 * Checks a shopper token against its site's secret, read from the bounded cache; a token that
 * reads as forged is checked once more against the stored secret, so a token signed with a secret
 * changed a moment ago is not refused for a minute.
 *
 * @example
 * const claims = await checkToken(env.DB, site, request.token); // ShopperClaims | "expired" | …
 */
export async function checkToken(db: D1Database, site: { id: number; key: string }, token: string | undefined) {
  const claims = await verifyShopperToken(token, site.key, await secretFor(db, site.id, false));
  return claims === "forged" ? verifyShopperToken(token, site.key, await secretFor(db, site.id, true)) : claims;
}

/** How many secrets this isolate holds (for tests of the bound). */
export const cachedSecrets = (): number => secrets.size;
