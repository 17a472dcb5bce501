// @vitest-environment node
// The demo site `npm start` creates: its recovery links must land on the demo shop, not on the
// collector's own `/` (a 404), so its restoreUrl is the demo shop's page on one of its origins.
import { existsSync } from "node:fs";
import * as v from "valibot";
import { expect, it } from "vitest";
// @ts-expect-error: plain .mjs scripts, no types
import { DEMO_SITE, demoSite } from "../scripts/setup-local.mjs";
import { SettingsSchema } from "../worker/sites/settings";

it.each([8787, 9123])("on port %i, the demo site's restore URL is the demo shop, on one of its origins", (port) => {
  const site = demoSite(port) as { key: string; origins: string[]; settings: Record<string, unknown> };
  expect(site.key).toBe(DEMO_SITE.key);
  const settings = v.parse(SettingsSchema, site.settings); // the collector's own rules for settings
  const restore = new URL(settings.restoreUrl as string);
  expect(site.origins).toContain(restore.origin);
  // The build copies examples/demo-shop to /demo/ (scripts/build.mjs), where the tag loads the script.
  expect(restore.pathname).toBe("/demo/");
  expect(existsSync(new URL("../examples/demo-shop/index.html", import.meta.url))).toBe(true);
  expect(site.settings.holdoutPercent).toBe(0);
  expect(settings.quietHours).toBeNull(); // the demo's email comes at any hour
});
