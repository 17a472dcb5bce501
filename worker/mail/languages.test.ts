import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Batch } from "../../protocol/types";
import { count, eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { deliver, MINUTE, messagesOf } from "../test/recovery";

const settings = { abandonAfterMinutes: 1, shopName: "Té & Tetera", holdoutPercent: 0 };

/** A batch from a browser whose Accept-Language and (Cloudflare's) time zone are given. */
function post(key: string, batch: Batch, { language, timeZone }: { language?: string; timeZone?: string }) {
  const headers = new Headers({ "content-type": "text/plain;charset=UTF-8", origin: ORIGIN });
  if (language) headers.set("accept-language", language);
  return exports.default.fetch(
    new Request(`https://collector.test/v1/events?site=${key}`, {
      method: "POST",
      headers,
      body: JSON.stringify(batch),
      ...(timeZone && { cf: { timezone: timeZone } }),
    }),
  );
}

async function abandonAs(key: string, email: string, who: { language?: string; timeZone?: string }): Promise<string> {
  const aid = randomId();
  const at = Date.now() - 10 * MINUTE;
  const res = await post(
    key,
    {
      aid,
      sentAt: Date.now(),
      events: [
        {
          id: randomId(),
          at,
          type: "cart",
          action: "set",
          cart: { currency: "EUR", lines: [{ id: "te", name: "Té verde", price: 123456, quantity: 1 }] },
        },
        { id: randomId(), at: at + 1, type: "identify", email, name: "Ana Lima" },
      ],
    },
    who,
  );
  expect(res.status).toBe(202);
  return aid;
}

const mailTo = async (email: string) => {
  const rows = await eventually(async () => {
    const { results } = await messagesOf(email);
    expect(results.length).toBeGreaterThanOrEqual(1);
    return results;
  }, 15_000);
  await deliver(rows.map((m) => ({ kind: "recovery" as const, id: m.id, site: m.site_id, email: m.email })));
  return env.DB.prepare(`SELECT subject, html, text, "from" FROM dev_outbox WHERE "to" = ?`)
    .bind(email)
    .first<{ subject: string; html: string; text: string; from: string }>();
};

const linkOf = (text: string, path: "r" | "u") => new RegExp(`https?://[^\\s]+/${path}/[\\w-]+`).exec(text)?.[0] as string;
const page = (url: string, init?: RequestInit) =>
  exports.default.fetch(new Request(url.replace(/^https?:\/\/[^/]+/, "https://collector.test"), init));

describe("the shopper's language, from the browser to the pages", () => {
  it("the page's language (or the shopper's choice) goes before the browser's, and the browser's zone before the IP's", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "chloe.fr@example.com";
    const aid = randomId();
    const at = Date.now() - 10 * MINUTE;
    const cart = { currency: "EUR", lines: [{ id: "te", name: "Thé vert", price: 1250, quantity: 1 }] };
    const events = [
      { id: randomId(), at, type: "cart" as const, action: "set" as const, cart },
      { id: randomId(), at: at + 1, type: "identify" as const, email, name: "Chloé" },
    ];
    // A French page (its lang written the POSIX way) in an English browser, on a laptop set to
    // Montreal's time behind an IP Cloudflare places in Madrid.
    const batch = { aid, sentAt: Date.now(), events, locale: "fr_CA", timeZone: "America/Toronto" };
    expect((await post(site.key, batch, { language: "en-US,en;q=0.9", timeZone: "Europe/Madrid" })).status).toBe(202);
    const row = await env.DB.prepare("SELECT locale, time_zone FROM shoppers WHERE aid = ?").bind(aid).first();
    expect(row).toEqual({ locale: "fr-CA,en-US,en", time_zone: "America/Toronto" });
    expect((await mailTo(email))?.subject).toBe("Chloé, vous avez oublié quelque chose dans votre panier");
    // A zone this runtime does not know, and a language that is no tag, are left out: the batch is kept.
    const later = {
      aid,
      sentAt: Date.now(),
      events: [{ id: randomId(), at: Date.now(), type: "checkout" as const }],
      locale: "klingon!",
      timeZone: "Mars/Olympus_Mons",
    };
    expect((await post(site.key, later, { language: "de", timeZone: "Europe/Berlin" })).status).toBe(202);
    await eventually(async () => {
      const next = await env.DB.prepare("SELECT locale, time_zone FROM shoppers WHERE aid = ?").bind(aid).first();
      expect(next).toEqual({ locale: "de", time_zone: "Europe/Berlin" });
    });
  });

  it("a Spanish browser gets a Spanish email, money the Spanish way, and Spanish link and unsubscribe pages", async () => {
    const site = await seedSite(env.DB, [ORIGIN], {
      ...settings,
      webhook: { url: "https://hooks.shop.example/c", secret: "s".repeat(16) },
    });
    const email = "ana.es@example.com";
    const webhooks = vi.spyOn(env.WEBHOOKS, "send");
    await abandonAs(site.key, email, { language: "es-ES,es;q=0.9,en;q=0.8", timeZone: "Europe/Madrid" });
    const row = await env.DB.prepare("SELECT locale, time_zone FROM shoppers WHERE email = ?").bind(email).first();
    expect(row).toEqual({ locale: "es-ES,es,en", time_zone: "Europe/Madrid" });
    const mail = await mailTo(email);
    expect(mail?.subject).toBe("Ana, te has dejado algo en el carrito");
    expect(mail?.html).toContain('<html lang="es">');
    expect(mail?.text).toContain("Té verde: 1 × 1234,56\u00a0€");
    // Spain's Spanish: the present perfect for what just happened (issue 20; was "empezaste", Latin America's preterite).
    expect(mail?.text).toContain("Recibes este correo porque has empezado un pedido en Té & Tetera.");
    expect(await env.DB.prepare("SELECT language FROM messages WHERE email = ?").bind(email).first("language")).toBe("es");
    // The message_sent webhook says by which channel and in which language.
    const sent = webhooks.mock.calls
      .map(([job]) => job as { type: string; data: Record<string, unknown> })
      .find((j) => j.type === "message_sent");
    expect(sent?.data).toMatchObject({ channel: "email", language: "es", email });
    webhooks.mockRestore();

    const restore = await page(linkOf(mail?.text ?? "", "r"));
    const waiting = await restore.text();
    expect(waiting).toContain('<html lang="es">');
    expect(waiting).toContain("Tu carrito te está esperando");
    const unsubscribe = linkOf(mail?.text ?? "", "u");
    expect(await (await page(unsubscribe)).text()).toContain("¿Quieres darte de baja?");
    const done = await (await page(unsubscribe, { method: "POST" })).text();
    expect(done).toContain("Te has dado de baja");
  });

  it("a shopper whose language the site does not write in gets the site's default; a browser with none, too", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, defaultLanguage: "es", languages: ["es", "fr"] });
    await abandonAs(site.key, "hans@example.com", { language: "de-DE,de;q=0.9" });
    await abandonAs(site.key, "nobody@example.com", {});
    await abandonAs(site.key, "marie@example.com", { language: "fr-CH" });
    expect((await mailTo("hans@example.com"))?.subject).toBe("Ana, te has dejado algo en el carrito");
    expect((await mailTo("nobody@example.com"))?.subject).toBe("Ana, te has dejado algo en el carrito");
    const marie = await mailTo("marie@example.com");
    expect(marie?.subject).toBe("Ana, vous avez oublié quelque chose dans votre panier");
    // fr-CH writes money the Swiss way; the language is still French.
    expect(marie?.text).toMatch(/1\u202f?[  ']?234[.,]56\s?€/);
  });

  it("keeps the language and zone of the browser's latest batch, whatever order batches are stored in", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const aid = randomId();
    const now = Date.now();
    const identify = (at: number) => ({ id: randomId(), at, type: "identify" as const, name: "Ana" });
    // The later batch (its events later) first, the earlier one after it: the later one's words stay.
    expect(
      (await post(site.key, { aid, sentAt: now, events: [identify(now - MINUTE)] }, { language: "nl-NL", timeZone: "Europe/Amsterdam" }))
        .status,
    ).toBe(202);
    expect(
      (await post(site.key, { aid, sentAt: now, events: [identify(now - 5 * MINUTE)] }, { language: "it-IT", timeZone: "Europe/Rome" }))
        .status,
    ).toBe(202);
    await eventually(async () => {
      const row = await env.DB.prepare("SELECT locale, time_zone FROM shoppers WHERE aid = ?").bind(aid).first();
      expect(row).toEqual({ locale: "nl-NL", time_zone: "Europe/Amsterdam" });
    });
    // A batch without either fills nothing in and takes nothing away.
    expect((await post(site.key, { aid, sentAt: now, events: [identify(now)] }, {})).status).toBe(202);
    await eventually(async () => {
      expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE aid = ?", aid)).toBe(3);
      const row = await env.DB.prepare("SELECT locale, time_zone FROM shoppers WHERE aid = ?").bind(aid).first();
      expect(row).toEqual({ locale: "nl-NL", time_zone: "Europe/Amsterdam" });
    });
    // Junk in either header is left out, never stored.
    const junk = randomId();
    expect(
      (await post(site.key, { aid: junk, sentAt: now, events: [identify(now)] }, { language: "<b>,*", timeZone: "Mars/Base" })).status,
    ).toBe(202);
    await eventually(async () => {
      const row = await env.DB.prepare("SELECT locale, time_zone FROM shoppers WHERE aid = ?").bind(junk).first();
      expect(row).toEqual({ locale: null, time_zone: null });
    });
  });
});

describe("Spain's and Latin America's Spanish, and the merchant's language (issue 20)", () => {
  it("a Mexican browser gets Latin America's Spanish in the email, its link pages and the stored language; the From is the shop's name", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "ana.mx@example.com";
    await abandonAs(site.key, email, { language: "es-MX,es;q=0.9", timeZone: "America/Mexico_City" });
    const mail = await mailTo(email);
    expect(mail?.subject).toBe("Ana, dejaste algo en tu carrito");
    expect(mail?.html).toContain('<html lang="es-419">');
    expect(mail?.text).toContain("Recibes este correo porque iniciaste un pedido en Té & Tetera. Cancelar la suscripción: http");
    // No fromName set: the shop's name, not the collector's ("Cartback").
    expect(mail?.from).toMatch(/^"Té & Tetera" </);
    expect(await env.DB.prepare("SELECT language FROM messages WHERE email = ?").bind(email).first("language")).toBe("es-419");
    const unsubscribe = await page(linkOf(mail?.text ?? "", "u"));
    const html = await unsubscribe.text();
    expect(html).toContain('<html lang="es-419">');
    expect(html).toContain("¿Quieres cancelar la suscripción?");
  });

  it("tells the merchant in the shop's most common shopper language, or in the merchantLanguage setting, and refuses an unknown one by name", async () => {
    const owner = `owner-${randomId()}@shop.example`;
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, notifyEmail: owner });
    const shoppers = ["uno", "dos", "tres"].map((n) => `${n}.${randomId()}@example.com`);
    await abandonAs(site.key, shoppers[0] as string, { language: "es-ES,es" });
    await abandonAs(site.key, shoppers[1] as string, { language: "es-ES" });
    await abandonAs(site.key, shoppers[2] as string, { language: "en-US,en" });
    const notice = async (about: string) => {
      const [message] = (
        await eventually(async () => {
          const rows = await messagesOf(about);
          expect(rows.results.length).toBeGreaterThanOrEqual(1);
          return rows;
        })
      ).results;
      await deliver([{ kind: "merchant_notice", id: `${message?.sequence_id}-notice`, site: site.id, email: owner, about }]);
      return env.DB.prepare(`SELECT subject, text, html FROM dev_outbox WHERE "to" = ? AND text LIKE ?`)
        .bind(owner, `%${about}%`)
        .first<{ subject: string; text: string; html: string }>();
    };
    const spanish = await notice(shoppers[2] as string);
    expect(spanish?.subject).toBe(`Pedido interrumpido en Té & Tetera: ${shoppers[2]} (1234,56\u00a0€)`);
    expect(spanish?.text).toContain(`${shoppers[2]} ha dejado un pedido a medias en Té & Tetera`);
    expect(spanish?.html).toContain('<html lang="es">');

    const set = await patch(site.key, { merchantLanguage: "de" });
    expect(set.status).toBe(200);
    expect((await notice(shoppers[0] as string))?.subject).toBe(
      `Abgebrochene Bestellung bei Té & Tetera: ${shoppers[0]} (1.234,56\u00a0€)`,
    );

    const refused = await patch(site.key, { merchantLanguage: "ja" });
    expect(refused.status).toBe(422);
    const { issues } = ((await refused.json()) as { error: { issues: { path: string; message: string }[] } }).error;
    expect(issues).toEqual([expect.objectContaining({ path: "merchantLanguage", message: expect.stringContaining("es-419") })]);
  });
});

const patch = (key: string, body: unknown) =>
  exports.default.fetch(
    new Request(`https://collector.test/v1/sites/${key}/settings`, {
      method: "PATCH",
      headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );

describe("language settings through the merchant API", () => {
  it("keeps languages, copy, a zone and quiet hours, and refuses bad ones by name", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const good = {
      defaultLanguage: "es",
      languages: ["es", "pt"],
      copy: { pt: { reminder: { subject: "Olá {{name}}", heading: "h", body: "b", cta: "c" } } },
      timeZone: "Europe/Madrid",
      quietHours: { start: "22:00", end: "09:30" },
    };
    const ok = await patch(site.key, good);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { settings: unknown }).settings).toMatchObject(good);
    const refusals: [unknown, string][] = [
      [{ defaultLanguage: "ja" }, "defaultLanguage"],
      [{ languages: ["es", "xx"] }, "languages.1"],
      [{ copy: { ja: {} } }, "copy.ja"],
      [{ copy: { es: { remindr: {} } } }, "copy.es.remindr"],
      [{ timeZone: "Mars/Base" }, "timeZone"],
      [{ quietHours: { start: "25:00", end: "08:00" } }, "quietHours.start"],
      [{ quietHours: { start: "08:00", end: "08:00" } }, "quietHours"],
      [{ quietHours: { start: "21:00", end: "08:00", tz: "UTC" } }, "quietHours.tz"],
    ];
    for (const [body, path] of refusals) {
      const res = await patch(site.key, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const issues = ((await res.json()) as { error: { issues: { path: string }[] } }).error.issues;
      expect(
        issues.map((i) => i.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    // Nothing of a refusal was stored.
    const stored = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(site.id).first<string>("settings")) ?? "",
    );
    expect(stored).toMatchObject(good);
    expect((await patch(site.key, { quietHours: null })).status).toBe(200);
  });
});
