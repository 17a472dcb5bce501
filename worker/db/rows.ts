// Statements over many rows (issue 21: the ingest path's cost follows the batch, not its events).
// A row statement is written once, for one row (its values read as ?1, ?2 …, its rows as ROWS),
// and always runs over a JSON array of rows: one row for one event, a hundred browsers' rows for a
// queue batch, in one statement. `mergedStatements` keeps each browser's statements in their
// order and runs the same statement of different browsers together.

/** A statement written for one row, rewritten to read each row of `json_each(?1)` as `r`. */
export interface RowSql {
  readonly sql: string;
}

/** One row of a row statement: the values its ?1, ?2 … stand for. */
export interface Row {
  readonly rows: RowSql;
  readonly values: readonly unknown[];
}

/** What one browser's write is made of, in order: rows of row statements, or statements of their own. */
export type Step = Row | D1PreparedStatement;

/**
 * A row statement from SQL written for one row: `?n` is the row's n-th value, `ROWS` where its
 * rows come from (an upsert's SELECT needs a `WHERE`, SQLite's rule for ON CONFLICT after a FROM;
 * an UPDATE names its table's `id`, as json_each has an `id` column too).
 *
 * @example
 * const INSERT_ORDER = rowSql("INSERT OR IGNORE INTO orders (site_id, order_id) SELECT ?1, ?2 FROM ROWS");
 */
export function rowSql(sql: string): RowSql {
  if (!sql.includes("ROWS")) throw new Error("a row statement reads its rows FROM ROWS");
  return { sql: sql.replace(/\?(\d+)/g, (_, n: string) => `(r.value ->> ${Number(n) - 1})`).replaceAll("ROWS", "json_each(?1) r") };
}

/**
 * One row of `rows`.
 *
 * @example
 * steps.push(row(INSERT_ORDER, site, orderId));
 */
export const row = (rows: RowSql, ...values: unknown[]): Row => ({ rows, values });

/**
 * One row's statement.
 *
 * @example
 * await oneRow(db, row(INSERT_ORDER, site, orderId)).run();
 */
export const oneRow = (db: D1Database, one: Row): D1PreparedStatement => db.prepare(one.rows.sql).bind(JSON.stringify([one.values]));

const isRow = (step: Step): step is Row => "rows" in step && "values" in step;

/**
 * The statements of many browsers' steps, each browser's in its order: in each round, the first
 * waiting step of each browser that is the same row statement as the first browser's runs as one
 * statement over all their rows (a browser has at most one row in it, so an upsert never meets
 * its own key twice). Browsers' rows are disjoint, so their relative order is free.
 *
 * @example
 * await db.batch(mergedStatements(db, [stepsOfA, stepsOfB]));
 */
export function mergedStatements(db: D1Database, browsers: Step[][]): D1PreparedStatement[] {
  const queues = browsers.filter((steps) => steps.length).map((steps) => ({ steps, next: 0 }));
  const statements: D1PreparedStatement[] = [];
  for (;;) {
    const waiting = queues.filter((q) => q.next < q.steps.length);
    const lead = waiting[0];
    if (!lead) return statements;
    const first = lead.steps[lead.next] as Step;
    if (!isRow(first)) {
      statements.push(first);
      lead.next++;
      continue;
    }
    const values: (readonly unknown[])[] = [];
    for (const q of waiting) {
      const step = q.steps[q.next] as Step;
      if (isRow(step) && step.rows === first.rows) {
        values.push(step.values);
        q.next++;
      }
    }
    statements.push(db.prepare(first.rows.sql).bind(JSON.stringify(values)));
  }
}
