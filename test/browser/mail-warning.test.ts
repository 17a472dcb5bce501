// The dashboard's mail warning (issue 22.3), in real Chromium against `wrangler dev`: three shoppers
// get their recovery email, Resend reports (signed as Resend signs) a complaint and a hard bounce
// about two of them, and the dashboard says sending paused itself, with the rates and a Resume
// button, at desktop width and at 390 px (screenshots in test-results/).
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { launch, newProfile } from "./browser";
import { eventually, ORIGIN, patchDemoSite, root } from "./env";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const auth = { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" };
const id = () => crypto.randomUUID().replaceAll("-", "");
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** The Standard Webhooks signature (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md). */
const standardSignature = (secret: string, msg: string, ts: string, body: string) =>
  `v1,${createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64"))
    .update(`${msg}.${ts}.${body}`)
    .digest("base64")}`;

/** A Resend webhook (https://resend.com/docs/dashboard/webhooks/event-types), signed as Svix signs it. */
async function resend(type: string, email: string) {
  const body = JSON.stringify({ type, created_at: new Date().toISOString(), data: { email_id: id(), to: [email], subject: "Your cart" } });
  const [msg, ts] = [`msg_${id()}`, String(Math.floor(Date.now() / 1000))];
  return fetch(`${ORIGIN}/v1/mail/resend/events?site=${DEMO_SITE.key}`, {
    method: "POST",
    headers: { "svix-id": msg, "svix-timestamp": ts, "svix-signature": standardSignature(SECRET, msg, ts, body) },
    body,
  });
}

it("the dashboard warns of complaints and hard bounces, and says sending paused, at desktop and phone width", async () => {
  expect((await patchDemoSite({ abandonAfterMinutes: 1, holdoutPercent: 0, maxSequencesPerDay: 10 })).status).toBe(200);
  const keys = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/mail-feedback`, {
    method: "PUT",
    headers: auth,
    body: JSON.stringify({ resendSecret: SECRET }),
  });
  expect(keys.status, await keys.clone().text()).toBe(200);
  const emails = ["complains", "bounces", "reads"].map((who) => `${who}.${Date.now()}@example.com`);
  for (const email of emails) {
    const at = Date.now() - 10 * 60_000;
    const res = await fetch(`${ORIGIN}/v1/events?site=${DEMO_SITE.key}`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({
        aid: id(),
        sentAt: Date.now(),
        events: [
          {
            id: id(),
            at,
            type: "cart",
            action: "set",
            cart: { currency: "EUR", lines: [{ id: "k", name: "Kettle", price: 4500, quantity: 1 }] },
          },
          { id: id(), at, type: "identify", email },
        ],
      }),
    });
    expect(res.status).toBe(202);
  }
  await eventually(
    async () => {
      const mails = (await (await fetch(`${ORIGIN}/dev/outbox.json`)).json()) as { to: string }[];
      for (const email of emails) expect(mails.map((m) => m.to)).toContain(email);
    },
    150_000,
    2000,
  );
  for (const [type, email] of [
    ["email.complained", emails[0]],
    ["email.bounced", emails[1]],
    ["email.delivered", emails[2]],
  ] as const) {
    const res = await resend(type, email as string);
    expect(res.status, await res.clone().text()).toBe(200);
  }

  const profile = newProfile();
  const context = await launch(profile.dir);
  cleanups.push(profile.remove, () => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${ORIGIN}/dashboard`);
  await page.fill("#site", DEMO_SITE.key);
  await page.fill("#secret", DEMO_SITE.secret);
  await page.click("button[type=submit]");
  const banner = page.locator("#mail-warning");
  await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toContain("Recovery emails are paused:");
  expect(await banner.textContent()).toMatch(/Spam complaints: [\d.]+ % of the \d+ recovery emails/);
  expect(await banner.textContent()).toMatch(/Hard bounces on \d{4}-\d{2}-\d{2}/);
  expect(await banner.isVisible()).toBe(true);
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/mail-warning-desktop.png` });
  await page.locator("#mail").screenshot({ path: `${root}test-results/mail-health-desktop.png` });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${root}test-results/mail-warning-390.png` });
  await page.locator("#mail").screenshot({ path: `${root}test-results/mail-health-390.png` });
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  const box = await page.locator("#mail-warning button").boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);

  // The merchant resumes: the banner's pause goes, the warnings stay (the rates have not changed).
  await page.click("#mail-warning button");
  await expect.poll(() => page.locator("[role=status]").textContent(), { timeout: 15_000 }).toContain("Sending resumed.");
  expect(await page.locator("#mail-warning").textContent()).not.toContain("paused");
});
