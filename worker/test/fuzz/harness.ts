import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect } from "vitest";
import worker from "../../index";

// The fuzz suite's plumbing: requests described as plain data (so fast-check can print, replay and
// shrink them), one checker for what every answer must look like, D1 snapshots to catch writes a
// refused request left behind, and the figures the suite reports.

export const BASE = "https://collector.test";
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND"] as const;

// ---------------------------------------------------------------------------------------------
// Figures

export interface Figures {
  requests: number;
  fiveXx: number;
  halfWritten: number;
}

const figures = new Map<string, Figures>();

function figuresOf(group: string): Figures {
  const f = figures.get(group) ?? { requests: 0, fiveXx: 0, halfWritten: 0 };
  figures.set(group, f);
  return f;
}

/** One line per endpoint group and a total, then the same as one `FUZZ-REPORT {json}` line. */
export function report(): { groups: Record<string, Figures>; total: Figures } {
  const groups = Object.fromEntries(figures);
  const total = { requests: 0, fiveXx: 0, halfWritten: 0 };
  for (const f of figures.values()) {
    total.requests += f.requests;
    total.fiveXx += f.fiveXx;
    total.halfWritten += f.halfWritten;
  }
  const line = (name: string, f: Figures) =>
    `fuzz ${name.padEnd(10)} ${String(f.requests).padStart(6)} requests, ${f.fiveXx} 5xx, ${f.halfWritten} half-written rows`;
  // One console.log, so the FUZZ-REPORT line always starts a line of vitest's output.
  const lines = [...figures].map(([name, f]) => line(name, f));
  console.log([...lines, line("total", total), `FUZZ-REPORT ${JSON.stringify({ groups, total })}`].join("\n"));
  return { groups, total };
}

// ---------------------------------------------------------------------------------------------
// Requests as data

/**
 * A body, kept small enough to print: big ones are described (`size`, `nested`) and built only
 * when sent. `pad` appends spaces (still JSON) up to that many bytes; `bom` prefixes a UTF-8 BOM;
 * `inject` splices raw bytes in the middle; `chunked` streams it without a Content-Length.
 */
export type Body = (
  | { text: string }
  | { bytes: number[] }
  | { size: number; fill: "json-string" | "raw"; prefix?: string; suffix?: string }
  | { nested: number; open: string; close: string; prefix?: string; suffix?: string }
) & { pad?: number; bom?: boolean; inject?: number[]; chunked?: boolean };

export interface Call {
  method: string;
  /** Path and query, already percent-encoded as it goes on the wire. */
  path: string;
  headers?: Record<string, string | undefined>;
  body?: Body;
}

const encoder = new TextEncoder();
const bigText = new Map<string, Uint8Array>();

function big(size: number, fill: "json-string" | "raw"): Uint8Array {
  const key = `${fill}:${size}`;
  let bytes = bigText.get(key);
  if (!bytes) {
    bytes = encoder.encode(fill === "raw" ? "x".repeat(size) : `"${"x".repeat(Math.max(0, size - 2))}"`);
    bigText.set(key, bytes);
  }
  return bytes;
}

export function bytesOf(body: Body): Uint8Array {
  let bytes: Uint8Array =
    "text" in body
      ? encoder.encode(body.text)
      : "bytes" in body
        ? Uint8Array.from(body.bytes)
        : "size" in body
          ? concat(encoder.encode(body.prefix ?? ""), big(body.size, body.fill), encoder.encode(body.suffix ?? ""))
          : encoder.encode(`${body.prefix ?? ""}${body.open.repeat(body.nested)}${body.close.repeat(body.nested)}${body.suffix ?? ""}`);
  if (body.inject) {
    const at = Math.floor(bytes.length / 2);
    bytes = concat(bytes.subarray(0, at), Uint8Array.from(body.inject), bytes.subarray(at));
  }
  if (body.bom) bytes = concat(Uint8Array.of(0xef, 0xbb, 0xbf), bytes);
  if (body.pad && body.pad > bytes.length) bytes = concat(bytes, encoder.encode(" ".repeat(body.pad - bytes.length)));
  return bytes;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 16 * 1024));
      at += 16 * 1024;
    },
  });
}

export function requestOf(call: Call): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(call.headers ?? {})) if (value !== undefined) headers.set(name, value);
  const hasBody = call.body && call.method !== "GET" && call.method !== "HEAD";
  let body: BodyInit | undefined;
  if (hasBody && call.body) {
    const bytes = bytesOf(call.body);
    body = call.body.chunked ? streamOf(bytes) : bytes;
    // What the runtime's HTTP layer would say of a body of known length.
    if (!call.body.chunked) headers.set("content-length", String(bytes.length));
  }
  return new Request(`${BASE}${call.path}`, { method: call.method, headers, body, redirect: "manual" });
}

/** A short description for failure messages: big bodies are summarised, not printed. */
export function describeCall(call: Call): string {
  const body = call.body ? bytesOf(call.body) : undefined;
  const shown = body && new TextDecoder().decode(body.subarray(0, 300));
  return `${call.method} ${call.path.slice(0, 300)} ${JSON.stringify(call.headers ?? {}).slice(0, 600)}${body ? ` body(${body.length} B${call.body?.chunked ? ", chunked" : ""}): ${JSON.stringify(shown)}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Sending and checking

export interface Answer {
  status: number;
  type: string;
  text: string;
  headers: Headers;
  json?: unknown;
  code?: string;
}

/** `json`: every 4xx must be `{error: {code, message}}`. `page`: a 4xx may also be a page (HTML or text). */
export type Kind = "json" | "page";

/**
 * Sends one request to the collector, counts it, and checks what every answer must be: never a
 * 5xx, and a 4xx carries a JSON error code (or, on the routes a person opens in a browser, a page).
 */
export async function send(group: string, call: Call, kind: Kind = "json"): Promise<Answer> {
  const f = figuresOf(group);
  f.requests++;
  let res: Response;
  try {
    // The worker's own fetch handler, called directly: going through `exports.default.fetch` (or
    // SELF) gets slower with every request made in a file (about 0.1 ms more per earlier request
    // with vitest-pool-workers 0.15), which would make thousands of requests take minutes.
    const ctx = createExecutionContext();
    res = await worker.fetch(requestOf(call), env, ctx);
    await waitOnExecutionContext(ctx);
  } catch (e) {
    // The collector's promise rejected: what a client sees as a 5xx (or a reset connection).
    f.fiveXx++;
    throw new Error(`the collector threw (${String(e)}) on ${describeCall(call)}`);
  }
  const text = await res.text();
  const answer: Answer = { status: res.status, type: res.headers.get("content-type") ?? "", text, headers: res.headers };
  if (res.status >= 500) {
    f.fiveXx++;
    throw new Error(`${res.status} ${text.slice(0, 300)} on ${describeCall(call)}`);
  }
  if (/application\/json/i.test(answer.type) && call.method !== "HEAD") {
    try {
      answer.json = JSON.parse(text);
    } catch {
      throw new Error(`${res.status} says JSON but is not: ${text.slice(0, 200)} on ${describeCall(call)}`);
    }
    const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code === "string") answer.code = error.code;
  }
  if (res.status >= 400 && res.status < 500) {
    const isError = answer.code !== undefined && typeof (answer.json as { error: { message?: unknown } }).error.message === "string";
    const isPage = kind === "page" && /^text\/(html|plain)/i.test(answer.type) && text.length > 0;
    // A HEAD answer has no body by definition; its headers must still say it is a JSON error.
    const headOk = call.method === "HEAD" && (/application\/json/i.test(answer.type) || (kind === "page" && /^text\//i.test(answer.type)));
    if (!isError && !isPage && !headOk)
      throw new Error(`${res.status} without a JSON error code (${answer.type}): ${text.slice(0, 200)} on ${describeCall(call)}`);
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------
// D1 snapshots

const TABLES = [
  "sites",
  "shoppers",
  "events",
  "carts",
  "orders",
  "sequences",
  "messages",
  "links",
  "suppressions",
  "dev_outbox",
  "webhook_deliveries",
] as const;

export type Snapshot = Record<string, number | string>;

/**
 * Row counts of every table, plus what a refused request could change in place: sites' settings,
 * origins and secrets, clicks, used links, cart and shopper rows' contents.
 */
export async function snapshot(): Promise<Snapshot> {
  const counts = TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ");
  const row = await env.DB.prepare(
    `SELECT ${counts},
      (SELECT group_concat(id || ':' || secret || ':' || origins || ':' || settings, '|') FROM (SELECT * FROM sites ORDER BY id)) AS sites_digest,
      (SELECT count(*) FROM messages WHERE clicked_at IS NOT NULL) AS clicked,
      (SELECT count(*) FROM links WHERE used_at IS NOT NULL) AS links_used,
      (SELECT total(updated_at) || ':' || total(client_at) || ':' || total(value) FROM carts) AS carts_digest,
      (SELECT total(last_seen) || ':' || count(email) || ':' || count(user_id) FROM shoppers) AS shoppers_digest`,
  ).first<Snapshot>();
  return row ?? {};
}

/** Rows added, removed or changed between two snapshots (a changed digest counts as one). */
export function changedRows(before: Snapshot, after: Snapshot): { rows: number; what: string[] } {
  let rows = 0;
  const what: string[] = [];
  for (const key of Object.keys(after)) {
    const [a, b] = [before[key], after[key]];
    if (a === b) continue;
    const n = typeof a === "number" && typeof b === "number" ? Math.abs(b - a) : 1;
    rows += n;
    what.push(`${key}: ${String(a).slice(0, 60)} → ${String(b).slice(0, 60)}`);
  }
  return { rows, what };
}

/**
 * Sends a request and, when the collector refused it (`refused(status)`, by default any 4xx),
 * checks that D1 holds exactly what it held before.
 */
export async function sendChecked(
  group: string,
  call: Call,
  kind: Kind = "json",
  refused: (a: Answer) => boolean = (a) => a.status >= 400,
): Promise<Answer> {
  const before = await snapshot();
  const answer = await send(group, call, kind);
  if (refused(answer)) {
    const { rows, what } = changedRows(before, await snapshot());
    if (rows) {
      figuresOf(group).halfWritten += rows;
      throw new Error(`refused with ${answer.status} ${answer.code ?? ""} but wrote ${what.join("; ")} on ${describeCall(call)}`);
    }
  }
  return answer;
}

/** Checks the answer is one of `[status, code?]`; a HEAD answer has no body to show its code. */
export function expectOneOf(answer: Answer, call: Call, allowed: [number, string?][]): void {
  const ok = allowed.some(
    ([status, code]) => answer.status === status && (code === undefined || call.method === "HEAD" || answer.code === code),
  );
  if (!ok)
    expect.fail(
      `${answer.status} ${answer.code ?? ""} ${answer.text.slice(0, 200)}, expected one of ${JSON.stringify(allowed)}, on ${describeCall(call)}`,
    );
}

/** Counts half-written rows found by a check outside `sendChecked` (e.g. after the queue drained). */
export function halfWritten(group: string, rows: number, why: string): void {
  if (!rows) return;
  figuresOf(group).halfWritten += rows;
  expect.fail(`${rows} half-written rows: ${why}`);
}

/** Lone surrogates written out as `\\udXXX`: vitest's channel out of workerd refuses them, and the whole run dies. */
const printable = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

/**
 * A test body whose failure can be reported whatever strings it involved: the error (with its
 * cause, and the values of a failed comparison) is retold with lone surrogates escaped.
 *
 * @example
 * it("…", reportable(async () => { await fc.assert(…); }));
 */
export function reportable(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      const lines: string[] = [];
      for (let err = e as (Error & { actual?: unknown; expected?: unknown }) | undefined; err; err = err.cause as typeof err) {
        lines.push(String(err.message ?? err));
        if ("expected" in err || "actual" in err)
          lines.push(
            `expected: ${JSON.stringify(err.expected)?.slice(0, 2000)}`,
            `actual:   ${JSON.stringify(err.actual)?.slice(0, 2000)}`,
          );
      }
      const error = new Error(printable(lines.join("\nCaused by: ")));
      error.stack = printable((e as Error).stack ?? "");
      throw error;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries shared by every endpoint

/** Strings that have broken parsers, routers, SQL and object lookups before. */
export const NASTY = [
  "",
  " ",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
  "__lookupSetter__",
  "propertyIsEnumerable",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e309",
  "[]",
  "{}",
  "..",
  "../../etc/passwd",
  "a/b",
  "\u0000",
  "\r\n",
  "'; DROP TABLE events; --",
  '" OR 1=1 --',
  "<script>alert(1)</script>",
  "{{name}}",
  "$" + "{7*7}",
  "😀",
  "\ud800",
  "é",
  "x".repeat(129),
  "y".repeat(5000),
];

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

/** What can go in a header value (printable ASCII): anything else the sender itself refuses. */
export const headerText = (maxLength = 40) => fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength });

/** Percent-encodes what `encodeURIComponent` can; a lone surrogate goes raw, as a broken client would send it. */
export function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[^\w-]/g, (ch) => `%${(ch.charCodeAt(0) & 0xff).toString(16).padStart(2, "0")}`);
  }
}

/** A path segment or query value: nasty strings, random text, broken percent-escapes, long runs. */
export const segment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY).map(encode),
  fc.string({ maxLength: 30 }).map(encode),
  fc.string({ unit: "binary", maxLength: 10 }).map(encode),
  fc.constantFrom("%", "%zz", "%ff%fe", "%E0%A4%A", "%00", "%2e%2e", "%2F", "a%20b", "+"),
  fc.stringMatching(/^[\w-]{20,100}$/),
  fc.integer({ min: 200, max: 8000 }).map((n) => "t".repeat(n)),
);

/** A query string of random parameters (`?` included, or empty). */
export const randomQuery: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom("site", "from", "to", "q", "limit", "status", "token", "email", "userId"), segment), segment), {
    maxLength: 4,
  })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}` : ""));

export const CONTENT_TYPES_OK = [
  undefined,
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/json",
  "Application/JSON; charset=utf-8",
];
export const CONTENT_TYPES_BAD = [
  "text/html",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "multipart/form-data",
  "application/jsonp",
  "text/plainx",
  "application/octet-stream",
  "*/*",
];

/** Any content type, labelled with whether a browser-facing JSON endpoint takes it. */
export const contentType: fc.Arbitrary<{ value: string | undefined; ok: boolean }> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES_OK).map((value) => ({ value, ok: true })) },
  { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES_BAD).map((value) => ({ value, ok: false })) },
  { weight: 1, arbitrary: headerText().map((s) => ({ value: `x-${s}`, ok: false })) },
);

/** Invalid UTF-8: a stray continuation byte, overlong forms, a surrogate, a truncated sequence, bytes UTF-8 never uses. */
export const INVALID_UTF8 = [
  [0x80],
  [0xc0, 0x80],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xff],
  [0xfe, 0xff],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** Bodies no endpoint should take: random JSON, random text and bytes, broken UTF-8, deep nesting, huge. */
export const hostileBody: fc.Arbitrary<Body> = fc
  .oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ text: JSON.stringify(v) ?? "null" })),
    fc.string({ maxLength: 200 }).map((text) => ({ text })),
    fc.uint8Array({ maxLength: 200 }).map((b) => ({ bytes: [...b] })),
    fc.constantFrom(...INVALID_UTF8).map((inject) => ({ text: '{"a":"bc"}', inject })),
    fc.constantFrom("[", "]", "{", '{"a":', "'x'", "{a:1}", "[1,]", "NaN", "01", '"\\x"', '"\\ud800"', "\u0000").map((text) => ({ text })),
    fc.constantFrom(
      { nested: 10_000, open: "[", close: "]" },
      { nested: 10_000, open: "[", close: "" },
      { nested: 5_000, open: '{"a":', close: "}", prefix: "", suffix: "" },
      { nested: 100_000, open: "[", close: "]" },
    ),
    fc.record({
      size: fc.constantFrom(64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 256 * 1024 + 1, 1024 * 1024),
      fill: fc.constantFrom("json-string" as const, "raw" as const),
    }),
    fc.constant({ text: "" }),
  )
  .chain((body) => fc.boolean().map((chunked) => ({ ...body, chunked })));

/** A method, weighted towards the one the route takes. */
export const methodFor = (usual: string) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
