import type { Context, MiddlewareHandler, ValidationTargets } from "hono";
import { validator } from "hono/validator";
import * as v from "valibot";
import { describeIssues } from "../../protocol/schema";
import { ApiError } from "./errors";

type Schema = v.GenericSchema;

/**
 * Valibot's output, or an `ApiError` naming each problem by path (an unknown field too).
 *
 * @example
 * const range = parse(RangeQuery, { from, to }, 400, "invalid_range", "from and to must be dates");
 */
export function parse<S extends Schema>(schema: S, value: unknown, status: 400 | 422, code: string, message: string): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new ApiError(status, code, message, describeIssues(result.issues));
  return result.output;
}

/**
 * Validates a part of the request with a valibot schema, as Hono's own validator does; the handler
 * reads the output back with `c.req.valid(target)`. A refusal is `status` (422 by default) with the
 * given code and message, and the issues by path.
 *
 * @example
 * .get("/v1/stats", valid("query", RangeQuery, "invalid_range", "from and to must be dates", 400), (c) => c.json(c.req.valid("query")))
 */
export const valid = <T extends keyof ValidationTargets, S extends Schema>(
  target: T,
  schema: S,
  code: string,
  message: string,
  status: 400 | 422 = 422,
) => validator(target, (value) => parse(schema, value, status, code, message) as v.InferOutput<S>);

/**
 * A JSON body, whatever its content type says (the script sends text/plain to skip the preflight;
 * servers send application/json), validated with `schema` and read back with `c.req.valid("json")`.
 * A body that is not JSON is a 400 `invalid_json`.
 *
 * @example
 * .post("/v1/sites/:key/orders", jsonBody(OrderSchema, "invalid_order", "the order does not validate"), (c) => …)
 */
export function jsonBody<S extends Schema>(
  schema: S,
  code: string,
  message: string,
  /** A body that is not JSON: a 400 of its own, or the schema's refusal of nothing (`"schema"`). */
  notJson: "invalid_json" | "schema" = "invalid_json",
  // biome-ignore lint/suspicious/noExplicitAny: usable on any route's env, as Hono's own validator is
): MiddlewareHandler<any, string, { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }> {
  return async (c: Context, next) => {
    const parsed = c.get("json" as never) ?? (await c.req.json().catch(() => NOT_JSON));
    if (parsed === NOT_JSON && notJson === "invalid_json") throw new ApiError(400, "invalid_json", "the body is not JSON");
    c.req.addValidatedData("json", parse(schema, parsed === NOT_JSON ? undefined : parsed, 422, code, message) as object);
    await next();
  };
}

const NOT_JSON = Symbol("not json");
