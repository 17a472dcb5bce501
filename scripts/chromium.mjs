// How the tests and benchmarks start Debian's Chromium. Without the background-networking flags it
// tries the (closed) network at every start; without --no-sandbox it refuses to run as root.
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Headless Chromium on a profile folder: reuse the folder to restart "the same browser". */
export const launchProfile = (dir) =>
  chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
