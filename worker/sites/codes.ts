import * as v from "valibot";

/**
 * One upload holds at most this many codes.
 *
 * @example
 * if (codes.length > MAX_CODES_PER_UPLOAD) refuse();
 */
export const MAX_CODES_PER_UPLOAD = 10_000;

/** A code as a shopper types it: the static code's rule (settings.ts). */
const CODE = /^[\w-]{1,40}$/;

type Issue = { path: string; message: string };

/**
 * Codes from an upload: one per line, or a CSV whose first column is the code (a header row
 * `code` is skipped, quotes are removed, other columns ignored); blank lines skipped, duplicates
 * kept once. Every bad line is named (the first 20), and then nothing is taken.
 *
 * @example
 * parseCodes("code,value\nTEA-1,10%\n\"TEA-2\",10%\n"); // { ok: true, codes: ["TEA-1", "TEA-2"] }
 * parseCodes("TEA 1"); // { ok: false, issues: [{ path: "line 1", message: "…" }] }
 */
export function parseCodes(body: string): { ok: true; codes: string[] } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const codes = new Set<string>();
  const lines = body.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((line, i) => {
    const first = (line.split(/[,;\t]/)[0] ?? "")
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .trim();
    if (!first || (i === 0 && /^codes?$/i.test(first))) return;
    if (!CODE.test(first)) issues.push({ path: `line ${i + 1}`, message: "a code is 1-40 letters, digits, - or _" });
    else codes.add(first);
  });
  if (codes.size > MAX_CODES_PER_UPLOAD) issues.push({ path: "codes", message: `at most ${MAX_CODES_PER_UPLOAD} codes per upload` });
  if (!issues.length && !codes.size) issues.push({ path: "codes", message: "no codes in the upload" });
  return issues.length ? { ok: false, issues: issues.slice(0, 20) } : { ok: true, codes: [...codes] };
}

/**
 * The JSON form of an upload, `{ "codes": ["TEA-1", …] }`, checked as the text form once joined.
 *
 * @example
 * v.parse(CodesJsonSchema, { codes: ["TEA-1", "TEA-2"] });
 */
export const CodesJsonSchema = v.strictObject({
  codes: v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(MAX_CODES_PER_UPLOAD)),
});
