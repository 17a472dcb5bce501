import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../index";
import { count, seedSite } from "../test/helpers";
import { outboxSms } from "./outbox";
import { PermanentSmsError } from "./provider";
import { smsProviderFor } from "./providers";

const LOCAL = "http://127.0.0.1:8787";

describe("the local SMS outbox", () => {
  it("stores a text once however often the same id is sent, and names it by that id", async () => {
    const site = await seedSite(env.DB);
    const sms = {
      id: `sms_${crypto.randomUUID()}`,
      site: site.id,
      to: "+34600111222",
      body: "Tu carrito te espera: https://c.example/r/abc",
    };
    const first = await outboxSms(env.DB).send(sms);
    const again = await outboxSms(env.DB).send({ ...sms, body: "a redelivery never rewrites what was sent" });
    expect(first).toEqual({ providerId: `outbox:${sms.id}` });
    expect(again).toEqual(first);
    expect(await count(env.DB, "SELECT count(*) AS n FROM dev_sms_outbox WHERE id = ?", sms.id)).toBe(1);
    const listed = (await (await exports.default.fetch(`${LOCAL}/dev/sms.json`)).json()) as { id: string; body: string }[];
    expect(listed.find((t) => t.id === sms.id)).toMatchObject({
      site_id: site.id,
      to: sms.to,
      body: sms.body,
      created_at: expect.any(Number),
    });
  });

  it("is the provider when SMS_PROVIDER is unset or outbox; an unknown name is refused plainly", async () => {
    const site = await seedSite(env.DB);
    for (const SMS_PROVIDER of [undefined, "", "outbox"]) {
      const id = `sms_${crypto.randomUUID()}`;
      await smsProviderFor({ ...env, SMS_PROVIDER } as Env).send({ id, site: site.id, to: "+15005550006", body: "hi" });
      expect(await count(env.DB, "SELECT count(*) AS n FROM dev_sms_outbox WHERE id = ?", id)).toBe(1);
    }
    expect(() => smsProviderFor({ ...env, SMS_PROVIDER: "carrier-pigeon" })).toThrow(PermanentSmsError);
    expect(() => smsProviderFor({ ...env, SMS_PROVIDER: "carrier-pigeon" })).toThrow(/"outbox" or "twilio"/);
  });

  it("shows texts at /dev/outbox beside the mail, escaped, and only on the local machine", async () => {
    const site = await seedSite(env.DB);
    const body = `<script>alert("x")</script> & <b>bold</b>`;
    await outboxSms(env.DB).send({ id: `sms_${crypto.randomUUID()}`, site: site.id, to: "+33612345678", body });
    const page = await (await exports.default.fetch(`${LOCAL}/dev/outbox`)).text();
    expect(page).toContain("<h2>SMS</h2>");
    expect(page).toContain("+33612345678");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;");
    expect(page).not.toContain("<script>alert");
    for (const path of ["/dev/sms.json", "/dev/outbox"]) {
      const remote = await exports.default.fetch(`https://collector.example${path}`);
      expect(remote.status).toBe(404);
      expect(await remote.json()).toMatchObject({ error: { code: "not_found" } });
    }
  });

  it("keeps /dev/outbox.json the mail's list, and serves each outbox only with its own provider", async () => {
    const mail = await exports.default.fetch(`${LOCAL}/dev/outbox.json`);
    expect(Array.isArray(await mail.json())).toBe(true);
    const twilio = { ...env, SMS_PROVIDER: "twilio" };
    const sms = await app.request(`${LOCAL}/dev/sms.json`, {}, twilio);
    expect(sms.status).toBe(404);
    expect(await sms.json()).toMatchObject({ error: { code: "not_found", message: expect.stringContaining("texts") } });
    expect(await (await app.request(`${LOCAL}/dev/outbox`, {}, twilio)).text()).not.toContain("<h2>SMS</h2>");
    const noMail = { ...env, MAIL_PROVIDER: "resend" };
    expect((await app.request(`${LOCAL}/dev/outbox.json`, {}, noMail)).status).toBe(404);
    expect((await app.request(`${LOCAL}/dev/sms.json`, {}, noMail)).status).toBe(200);
    expect((await app.request(`${LOCAL}/dev/outbox`, {}, { ...noMail, SMS_PROVIDER: "twilio" })).status).toBe(404);
  });
});
