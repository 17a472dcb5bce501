import { describe, expect, it } from "vitest";
import {
  EMAIL_STYLE,
  emailLayout,
  emailTable,
  escapeHtml,
  formatDuration,
  formatMinute,
  formatMoney,
  formatPercent,
  html,
  layout,
  mailHtml,
  PAGE_STYLE,
  plainEmail,
  raw,
} from ".";

declare global {
  interface ImportMeta {
    glob(pattern: string[], options: { query: "?raw"; import: "default"; eager: true }): Record<string, string>;
  }
}

// Every character that can end a text run, a quoted attribute or an entity.
const DANGEROUS = `&<>"'`;
// Escaped, each is harmless text; unescaped anywhere, the parser below finds a <pwn> or a pwn attribute.
const HOSTILE = ["<pwn>x</pwn>", '"><pwn>', "'><pwn>", '" onpwn="1', "' onpwn='1", "</title><pwn>", "</style><pwn>", "</textarea><pwn>"];

/** What workerd's HTML parser finds: injected elements and attributes, and the text of <style>. */
async function parse(markup: string): Promise<{ injected: string[]; style: string }> {
  const injected: string[] = [];
  let style = "";
  await new HTMLRewriter()
    .on("*", {
      element(el) {
        if (el.tagName.includes("pwn")) injected.push(`<${el.tagName}>`);
        for (const [name = ""] of el.attributes) if (name.includes("pwn")) injected.push(`${name} on <${el.tagName}>`);
      },
    })
    .on("style", {
      text(t) {
        style += t.text;
      },
    })
    .transform(new Response(markup))
    .text();
  return { injected, style };
}

/** Each hostile value in text, in double- and single-quoted attributes, and in the raw-text-ish elements. */
const surfaces = (tag: typeof html | typeof mailHtml, v: string) =>
  tag`<title>${v}</title><p title="${v}" data-x='${v}'>${v}</p><textarea>${v}</textarea><a href="/?q=${v}">${v}</a>`;

describe("html", () => {
  it("escapes every dangerous character, in text and in attributes", () => {
    expect(String(html`<p title="${DANGEROUS}" data-x='${DANGEROUS}'>${DANGEROUS}</p>`)).toBe(
      `<p title="&amp;&lt;&gt;&quot;&#39;" data-x='&amp;&lt;&gt;&quot;&#39;'>&amp;&lt;&gt;&quot;&#39;</p>`,
    );
  });

  it("lets nothing from a hostile corpus become an element or an attribute", async () => {
    for (const v of HOSTILE) expect((await parse(String(await surfaces(html, v)))).injected, v).toEqual([]);
  });

  it("puts fragments and arrays of them in once, without escaping them again", () => {
    const items = ["<a>", "b&c"].map((i) => html`<li>${i}</li>`);
    expect(String(html`<ul>${items}</ul>`)).toBe("<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>");
    expect(String(html`<p>${html`<b>${"<i>"}</b>`}</p>`)).toBe("<p><b>&lt;i&gt;</b></p>");
  });

  it("leaves nothing for undefined, null and booleans, and puts numbers as they are", () => {
    expect(String(html`[${undefined}${null}${false}${true}${0}${12.5}]`)).toBe("[012.5]");
  });

  it("escapes text that only looks like markup: a String object, an object's toString, existing entities", () => {
    const boxed = new String("<b>");
    expect(String(html`${boxed}|${{ toString: () => "<b>" }}|${"&lt;"}`)).toBe("&lt;b&gt;|&lt;b&gt;|&amp;lt;");
  });
});

describe("raw", () => {
  it("is the one way in unescaped", () => {
    expect(String(html`<p>${raw("<b>ours</b>")}</p>`)).toBe("<p><b>ours</b></p>");
  });

  it("is used only inside worker/html: the stylesheet and the emails' numeric escaping", () => {
    const sources = import.meta.glob(["../**/*.ts", "!../**/*.test.ts"], { query: "?raw", import: "default", eager: true });
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const users = Object.entries(sources)
      .filter(([, text]) => /\braw\(/.test(code(text)))
      .map(([path]) => path)
      .sort();
    expect(users).toEqual(["./email.ts", "./page.ts"]);
  });
});

describe("layout", () => {
  it("escapes the title and whatever it is given, and keeps its own stylesheet as CSS", async () => {
    for (const v of HOSTILE) {
      const page = String(await layout(v, html`<p>${v}</p>`, { header: html`<header title="${v}">${v}</header>` }));
      const { injected, style } = await parse(page);
      expect(injected, v).toEqual([]);
      expect(style).toBe(PAGE_STYLE);
    }
  });

  it("loads nothing from anywhere and keeps search engines out", async () => {
    const page = String(await layout("T", html`<p>x</p>`, { kind: "notice" }));
    expect(page).not.toMatch(/<script|<link rel="stylesheet"|src=|https?:/);
    expect(page).toContain('<meta name="robots" content="noindex">');
    expect(page).toContain('<body class="notice">');
  });
});

describe("mailHtml", () => {
  it("escapes every dangerous character, the backtick too, as numeric references", () => {
    expect(String(mailHtml`<td title="${`${DANGEROUS}\``}">${`${DANGEROUS}\``}</td>`)).toBe(
      `<td title="&#38;&#60;&#62;&#34;&#39;&#96;">&#38;&#60;&#62;&#34;&#39;&#96;</td>`,
    );
    expect(escapeHtml(`${DANGEROUS}\``)).toBe("&#38;&#60;&#62;&#34;&#39;&#96;");
  });

  it("lets nothing from a hostile corpus become an element or an attribute", async () => {
    for (const v of HOSTILE) expect((await parse(String(surfaces(mailHtml, v)))).injected, v).toEqual([]);
  });

  it("puts fragments and arrays of them in once, and refuses a promise", () => {
    const items = ["<a>", "b"].map((i) => mailHtml`<li>${i}</li>`);
    expect(String(mailHtml`<ul>${items}</ul>${undefined}${3}`)).toBe("<ul><li>&#60;a&#62;</li><li>b</li></ul>3");
    expect(() => mailHtml`${Promise.resolve("x")}`).toThrow(TypeError);
  });

  it("lays out a message in presentation tables with inline styles, and escapes its title and preheader", async () => {
    for (const v of HOSTILE) {
      const message = emailLayout({ title: v, preheader: v, rows: mailHtml`<tr><td style="${EMAIL_STYLE.text}">${v}</td></tr>` });
      const { injected, style } = await parse(message);
      expect(injected, v).toEqual([]);
      expect(style).toBe(""); // mail clients drop <style>: everything is inline
      expect(message).toMatch(/^<!doctype html>/);
      expect(message.match(/<table role="presentation"/g)).toHaveLength(2);
      expect((await parse(plainEmail(mailHtml`<p>${v}</p>`))).injected).toEqual([]);
    }
    expect(String(emailTable(mailHtml`<tr><td>x</td></tr>`, { style: EMAIL_STYLE.cart }))).toBe(
      `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="${EMAIL_STYLE.cart}"><tr><td>x</td></tr></table>`,
    );
  });
});

describe("formatting", () => {
  it("keeps the figures as they always read", () => {
    expect(formatMoney(123456, "EUR")).toBe("€1,234.56");
    expect(formatMoney(99, "USD")).toBe("$0.99");
    expect(formatMoney(250, "XYZQ")).toBe("2.50 XYZQ");
    expect(formatPercent(0.1234)).toBe("12.3%");
    expect(formatPercent(null)).toBe("–");
    expect(formatDuration(45 * 60_000)).toBe("45 min");
    expect(formatDuration(5 * 3_600_000)).toBe("5.0 h");
    expect(formatDuration(3 * 86_400_000)).toBe("3.0 days");
    expect(formatDuration(null)).toBe("–");
    expect(formatMinute(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe("2026-01-02 03:04");
  });
});
