// A bounded load test of ingest on loopback: a fixed rate of batches for a fixed time, then it
// stops by itself and counts what the collector stored. Behaves like many browsers' outboxes:
// retries on network errors, 408, 429 and 5xx (honouring Retry-After), replays some batches
// (a tab that died before it heard the answer) and sends some late, out of order.
//   node scripts/load.mjs [--url http://127.0.0.1:8787] [--rate 100] [--seconds 20] [--shoppers 300]
// With --url it loads a collector already running (`npm start`); without, it starts one the way
// `npm start` does, on its own port and state folder.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { setupLocal } from "./setup-local.mjs";
import { createSite } from "./site.mjs";
import { d1Rows, root, startCollector } from "./wrangler.mjs";

/**
 * Runs the load and returns its figures: events sent (distinct ids), requests made, replays,
 * retries, events stored, lost (sent but not stored), duplicated (stored more than once), and
 * shoppers whose stored cart is not the newest one they sent.
 */
export async function runLoad({ url, rate = 100, seconds = 20, shoppers = 300, replayShare = 0.1, lateShare = 0.05 } = {}) {
  let stop = () => {};
  let where = ["--local"];
  if (!url) {
    const port = 8790;
    const persistTo = `${root}.wrangler/load-state`;
    await setupLocal({ port, persistTo, fresh: true });
    ({ origin: url, stop } = await startCollector({ port, persistTo }));
    where = ["--local", "--persist-to", persistTo];
  }
  // A site of its own, so the counts are this run's alone.
  const origin = new URL(url).origin;
  const site = createSite({ name: `Load test ${new Date().toISOString()}`, origins: [origin], where });
  const id = () => randomBytes(16).toString("base64url");

  const people = Array.from({ length: shoppers }, () => ({ aid: id(), clock: Date.now() - 60_000, newest: undefined }));
  const sent = new Set();
  const batches = [];
  const late = [];
  const figures = { requests: 0, replays: 0, late: 0, retries: 0, gaveUp: 0, statuses: {} };

  async function post(body) {
    for (let attempt = 0; ; attempt++) {
      figures.requests++;
      let status = 0;
      let wait = 0;
      try {
        const res = await fetch(`${url}/v1/events?site=${site.key}`, {
          method: "POST",
          headers: { "content-type": "text/plain;charset=UTF-8", origin },
          body,
        });
        status = res.status;
        wait = Number(res.headers.get("retry-after") ?? 0) * 1000;
        await res.arrayBuffer();
      } catch {}
      figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
      if (status === 202) return true;
      if (status && status !== 408 && status !== 429 && status < 500) return false;
      if (attempt === 8) return false;
      figures.retries++;
      await new Promise((r) => setTimeout(r, Math.max(wait, 200 * 2 ** attempt * (0.5 + Math.random() / 2))));
    }
  }

  /** One batch from one shopper: a cart change, sometimes with a checkout and a moment. */
  function nextBatch() {
    const who = people[Math.floor(Math.random() * people.length)];
    const events = [];
    const n = 1 + Math.floor(Math.random() * 3);
    for (let i = 0; i < n; i++) {
      who.clock += 1 + Math.floor(Math.random() * 1000);
      const quantity = 1 + Math.floor(Math.random() * 5);
      const event = {
        id: id(),
        at: who.clock,
        type: "cart",
        action: "set",
        cart: { currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 1250, quantity }] },
      };
      events.push(event);
      who.newest = event;
    }
    const tick = () => {
      who.clock += 1;
      return who.clock;
    };
    if (Math.random() < 0.2) events.push({ id: id(), at: tick(), type: "checkout" });
    if (Math.random() < 0.1) events.push({ id: id(), at: tick(), type: "moment", kind: "payment_failed", code: "card_declined" });
    return { aid: who.aid, events };
  }

  const send = async (batch) => {
    const ok = await post(JSON.stringify({ aid: batch.aid, sentAt: Date.now(), events: batch.events }));
    if (ok) for (const e of batch.events) sent.add(e.id);
    else figures.gaveUp += batch.events.length;
  };

  // Open loop: a batch every 1000/rate ms whatever the answers, as independent browsers would.
  const inFlight = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < seconds * 1000; i++) {
    const due = started + (i * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const batch = nextBatch();
    batches.push(batch);
    if (Math.random() < lateShare)
      late.push(batch); // held back: arrives after newer ones
    else inFlight.push(send(batch));
    if (Math.random() < replayShare && batches.length > 1) {
      figures.replays++;
      inFlight.push(send(batches[Math.floor(Math.random() * batches.length)]));
    }
  }
  figures.late = late.length;
  for (const batch of late) inFlight.push(send(batch));
  await Promise.all(inFlight);
  const sendSeconds = (Date.now() - started) / 1000;

  // The queue consumer stores in the background: wait until the count stops moving.
  const query = (sql) => d1Rows(sql, where);
  const siteId = query(`SELECT id FROM sites WHERE key = '${site.key}'`)[0].id;
  let stored = { rows: -1, ids: 0 };
  // Done when everything is there, or when nothing more arrived for 10 s (then the rest is lost).
  for (let i = 0, still = 0; i < 180 && still < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const [row] = query(`SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM events WHERE site_id = ${siteId}`);
      still = row.rows === stored.rows ? still + 1 : 0;
      stored = row;
      if (stored.ids >= sent.size) break;
    } catch {} // SQLITE_BUSY while the consumer writes: read again
  }
  const carts = query(`SELECT aid, item_count FROM carts WHERE site_id = ${siteId}`);
  const stale = people.filter(
    (p) => p.newest && sent.has(p.newest.id) && carts.find((c) => c.aid === p.aid)?.item_count !== p.newest.cart.lines[0].quantity,
  );
  stop();
  return {
    rate,
    seconds,
    sendSeconds,
    shoppers,
    batches: batches.length,
    sent: sent.size,
    ...figures,
    stored: stored.ids,
    lost: sent.size - stored.ids,
    duplicated: stored.rows - stored.ids,
    staleCarts: stale.length,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      rate: { type: "string", default: "100" },
      seconds: { type: "string", default: "20" },
      shoppers: { type: "string", default: "300" },
    },
  });
  const result = await runLoad({
    url: values.url,
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    shoppers: Number(values.shoppers),
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(result.lost || result.duplicated || result.staleCarts ? 1 : 0);
}
