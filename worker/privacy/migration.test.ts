import type { D1Migration } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { ORIGIN, seedSite } from "../test/helpers";

// The test database was migrated empty; this plays migration 0007 again over rows stored as typed,
// as they were before addresses had one form, then once more to show a second run changes nothing.
const migration = (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS.find((m) =>
  m.name.startsWith("0007_email_normal_form"),
);
const runMigration = async () => {
  for (const query of migration?.queries ?? []) await env.DB.prepare(query).run();
};

const rows = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .all()
  ).results;

it("migration 0007 rewrites every stored address into its normal form and merges suppressions that differ only in case", async () => {
  expect(migration?.queries.length).toBeGreaterThan(0);
  const site = await seedSite(env.DB, [ORIGIN]);
  const other = await seedSite(env.DB, [ORIGIN]);
  const db = env.DB;
  await db.batch([
    ...[
      ["aid-1", "Omar.Said@Example.com"],
      ["aid-2", "omar.said@example.com"],
      ["aid-3", null],
    ].map(([aid, email]) =>
      db
        .prepare("INSERT INTO shoppers (site_id, aid, email, first_seen, last_seen) VALUES (?, ?, ?, 0, 0)")
        .bind(site.id, aid ?? null, email ?? null),
    ),
    db
      .prepare(
        `INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status)
         VALUES ('mig-seq', ?, 'OMAR.SAID@EXAMPLE.COM', 'aid-1', 0, 0, 100, 'EUR', 'reminder', 'completed')`,
      )
      .bind(site.id),
    db
      .prepare(
        `INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at)
         VALUES ('mig-seq-0', 'mig-seq', ?, 'Omar.Said@example.com', 0, 'recovery', 'sent', 0, 0)`,
      )
      .bind(site.id),
    db
      .prepare(
        "INSERT INTO links (token_hash, kind, site_id, email, expires_at) VALUES ('mig-link', 'unsubscribe', ?, 'Omar.Said@Example.COM', 0)",
      )
      .bind(site.id),
    db
      .prepare(
        `INSERT INTO dev_outbox (id, site_id, created_at, "to", "from", subject, headers, html, text)
         VALUES ('mig-mail', ?, 0, 'Omar.Said@Example.com', 'shop@example.com', 'Your cart', '{}', '', '')`,
      )
      .bind(site.id),
    // Three opt-outs of one person, in three casings; the earliest is the one kept, with its source.
    db
      .prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'omar.said@example.com', 300, 'merchant')")
      .bind(site.id),
    db
      .prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'Omar.Said@Example.com', 100, 'link')")
      .bind(site.id),
    db
      .prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'OMAR.SAID@example.com', 200, 'bounce')")
      .bind(site.id),
    // Two casings created at the same moment: one survives.
    db.prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'Tie@Example.com', 50, 'link')").bind(site.id),
    db
      .prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'tie@EXAMPLE.com', 50, 'one_click')")
      .bind(site.id),
    // Another site's opt-out of the same person is that site's own.
    db
      .prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'OMAR.said@Example.com', 400, 'one_click')")
      .bind(other.id),
  ]);

  await runMigration();
  const after = {
    shoppers: await rows("SELECT aid, email FROM shoppers WHERE site_id = ? ORDER BY aid", site.id),
    sequences: await rows("SELECT email FROM sequences WHERE site_id = ?", site.id),
    messages: await rows("SELECT email FROM messages WHERE site_id = ?", site.id),
    links: await rows("SELECT email FROM links WHERE site_id = ?", site.id),
    outbox: await rows(`SELECT "to" FROM dev_outbox WHERE site_id = ?`, site.id),
    suppressions: await rows(
      "SELECT site_id, email, created_at, source FROM suppressions WHERE site_id IN (?, ?) ORDER BY site_id, email",
      site.id,
      other.id,
    ),
  };
  expect(after).toEqual({
    shoppers: [
      { aid: "aid-1", email: "omar.said@example.com" },
      { aid: "aid-2", email: "omar.said@example.com" },
      { aid: "aid-3", email: null },
    ],
    sequences: [{ email: "omar.said@example.com" }],
    messages: [{ email: "omar.said@example.com" }],
    links: [{ email: "omar.said@example.com" }],
    outbox: [{ to: "omar.said@example.com" }],
    suppressions: [
      { site_id: site.id, email: "omar.said@example.com", created_at: 100, source: "link" },
      { site_id: site.id, email: "tie@example.com", created_at: 50, source: "link" },
      { site_id: other.id, email: "omar.said@example.com", created_at: 400, source: "one_click" },
    ],
  });

  await runMigration();
  expect(
    await rows(
      "SELECT site_id, email, created_at, source FROM suppressions WHERE site_id IN (?, ?) ORDER BY site_id, email",
      site.id,
      other.id,
    ),
  ).toEqual(after.suppressions);
  expect(await rows("SELECT aid, email FROM shoppers WHERE site_id = ? ORDER BY aid", site.id)).toEqual(after.shoppers);
});
