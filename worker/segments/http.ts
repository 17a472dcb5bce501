// What the merchant API's and the dashboard's segment downloads share.
import type { Context } from "hono";
import { ApiError } from "../http/errors";
import { SEGMENTS, type SegmentName } from "./rules";

/**
 * The segment a `:file` path part names (`upsell-ready.csv`), or a 404 naming those there are.
 *
 * @example
 * segmentIn(c); // "upsell-ready" for /v1/sites/pk_…/segments/upsell-ready.csv
 */
export function segmentIn(c: Context): SegmentName {
  const file = c.req.param("file") ?? "";
  const name = file.endsWith(".csv") ? file.slice(0, -4) : "";
  if (!(SEGMENTS as readonly string[]).includes(name))
    throw new ApiError(
      404,
      "unknown_segment",
      `no segment ${JSON.stringify(file)}; there are ${SEGMENTS.map((s) => `${s}.csv`).join(", ")}`,
    );
  return name as SegmentName;
}

/**
 * A CSV download that no cache keeps (it names people).
 *
 * @example
 * return asCsv(c, "email\r\n", "upsell-ready.csv");
 */
export const asCsv = (c: Context, body: string, file: string): Response => {
  c.header("Content-Type", "text/csv; charset=utf-8");
  c.header("Content-Disposition", `attachment; filename="${file}"`);
  c.header("Cache-Control", "no-store");
  return c.body(body);
};
