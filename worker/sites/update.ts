import * as v from "valibot";
import { describeIssues } from "../../protocol/schema";
import { saveSettings, storedSettings } from "../db/sites";
import { OriginsSchema } from "./hosts";
import { type Operator, senderIssues } from "./sender";
import { REASONS, SettingsSchema, type SiteSettings } from "./settings";
import { forgetSite, originAllowed, type Site } from "./sites";
import { rotated } from "./webhook-rotation";

type Issue = { path: string; message: string };
export type SettingsUpdate = { ok: true; settings: SiteSettings; origins: string[] } | { ok: false; issues: Issue[] };

type Schema = v.GenericSchema & { wrapped?: Schema; entries?: Record<string, Schema>; item?: Schema };

/**
 * Every key of `value` that `schema` has no place for, at any depth (objects, arrays of them,
 * optional and piped ones), as issues: a typo such as `holdoutPercnt` is named, not dropped.
 * Reads own keys only, so `__proto__` or `constructor` is an unknown key like any other.
 *
 * @example
 * unknownFields(SettingsSchema, { holdoutPercnt: 3 }); // [{ path: "holdoutPercnt", message: "unknown setting" }]
 */
export function unknownFields(schema: Schema, value: unknown, path: string[] = []): Issue[] {
  let s = schema;
  while (s.wrapped) s = s.wrapped;
  if (s.item && Array.isArray(value)) return value.flatMap((item, i) => unknownFields(s.item as Schema, item, [...path, String(i)]));
  if (!s.entries || typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const entries = s.entries;
  return Object.keys(value).flatMap((key) =>
    Object.hasOwn(entries, key)
      ? unknownFields(entries[key] as Schema, (value as Record<string, unknown>)[key], [...path, key])
      : [{ path: [...path, key].join("."), message: path.length ? "unknown field" : "unknown setting" }],
  );
}

type Hook = NonNullable<SiteSettings["webhook"]>;

/** The webhook to store: the stored one (as far as it still reads) decides what keeps signing. */
function rotatedHook(stored: unknown, next: Hook): Hook {
  const before = v.safeParse(SettingsSchema.entries.webhook, stored);
  return rotated(before.success ? before.output : undefined, next, Date.now());
}

/**
 * Changes a site's settings, and its origins when the patch has `origins`: the top-level fields
 * given replace the stored ones, and the result is validated whole (a field the collector does
 * not know, at any depth, is refused by name) before anything is written, in one statement. The
 * merchant API and the dashboard both change a site through here, so both validate alike. A
 * change to the From address or the provider is checked against the site's sending-domain checks
 * (sender.ts) when the collector's `operator` settings are given.
 *
 * @example
 * const result = await updateSettings(env.DB, site, { abandonAfterMinutes: 45, origins: ["https://shop.example"] });
 * if (!result.ok) console.log(result.issues);
 */
export async function updateSettings(
  db: D1Database,
  site: Site,
  patch: Record<string, unknown>,
  operator?: Operator,
): Promise<SettingsUpdate> {
  const { origins: originsGiven, ...changes } = patch;
  const issues: Issue[] = unknownFields(SettingsSchema as Schema, changes);
  let origins = site.origins;
  if (Object.hasOwn(patch, "origins")) {
    const parsed = v.safeParse(v.object({ origins: OriginsSchema }), { origins: originsGiven });
    if (parsed.success) origins = parsed.output.origins;
    else issues.push(...describeIssues(parsed.issues));
  }
  const stored = await storedSettings(db, site.id);
  const merged = { ...stored, ...changes };
  const parsed = v.safeParse(SettingsSchema, merged);
  if (!parsed.success) return { ok: false, issues: [...issues, ...describeIssues(parsed.issues)] };
  const onOrigins = (path: string, url: string | undefined) => {
    if (url && !originAllowed(origins, new URL(url).origin)) issues.push({ path, message: "must be on one of the site's origins" });
  };
  onOrigins("restoreUrl", parsed.output.restoreUrl);
  onOrigins("chatUrl", parsed.output.chatUrl);
  for (const reason of REASONS) onOrigins(`restoreUrls.${reason}`, parsed.output.restoreUrls[reason]);
  if (operator && (Object.hasOwn(changes, "fromAddress") || Object.hasOwn(changes, "mailProvider")))
    issues.push(...(await senderIssues(db, site.id, parsed.output, operator)));
  if (issues.length) return { ok: false, issues };
  const output = { ...parsed.output, ...(parsed.output.webhook && { webhook: rotatedHook(stored.webhook, parsed.output.webhook) }) };
  // What validated, for the fields the site sets: unknown fields (at any depth) are not stored, so
  // stored fields a later version no longer knows go at the next change; defaults stay unstored
  // and follow changes to them.
  const set: Record<string, unknown> = merged;
  const kept = Object.fromEntries(Object.entries(output).filter(([key]) => set[key] !== undefined));
  await saveSettings(db, site.id, kept, Object.hasOwn(patch, "origins") ? origins : undefined);
  forgetSite(site.key);
  return { ok: true, settings: output, origins };
}
