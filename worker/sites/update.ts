import * as v from "valibot";
import { describeIssues } from "../../protocol/schema";
import { saveSettings, storedSettings } from "../db/sites";
import { SettingsSchema, type SiteSettings } from "./settings";
import { forgetSites, originAllowed, type Site } from "./sites";

export type SettingsUpdate = { ok: true; settings: SiteSettings } | { ok: false; issues: { path: string; message: string }[] };

/**
 * Changes a site's settings: the top-level fields given replace the stored ones, and the result
 * is validated whole before anything is written. Used by the merchant API and the dashboard.
 *
 * @example
 * const result = await updateSettings(env.DB, site, { abandonAfterMinutes: 45 });
 * if (!result.ok) console.log(result.issues);
 */
export async function updateSettings(db: D1Database, site: Site, patch: Record<string, unknown>): Promise<SettingsUpdate> {
  const stored = await storedSettings(db, site.id);
  const merged = { ...stored, ...patch };
  const parsed = v.safeParse(SettingsSchema, merged);
  if (!parsed.success) return { ok: false, issues: describeIssues(parsed.issues) };
  for (const field of ["restoreUrl", "chatUrl"] as const) {
    const url = parsed.output[field];
    if (url && !originAllowed(site.origins, new URL(url).origin))
      return { ok: false, issues: [{ path: field, message: "must be on one of the site's origins" }] };
  }
  // What validated, for the fields the site sets: unknown fields (at any depth) are not stored, so
  // a patch cannot grow the row past what D1 holds; defaults stay unstored and follow changes to them.
  const set: Record<string, unknown> = merged;
  const kept = Object.fromEntries(Object.entries(parsed.output).filter(([key]) => set[key] !== undefined));
  await saveSettings(db, site.id, kept);
  forgetSites();
  return { ok: true, settings: parsed.output };
}
