// The dashboard's audience (issue 22, points 6-8): who recovery writes to (the audience mode and the
// exclusion rules, a settings form) and the merchant's suppressions (a paste or a CSV upload). The
// routes are in routes.ts; this file is the HTML and the reading of the forms.
import { majorText, toMinor } from "../../protocol/money";
import { type Html, html } from "../html";
import type { ExcludedWhy } from "../recovery/audience";
import type { SiteSettings } from "../sites/settings";
import type { Stats } from "../stats/figures";

/** What each exclusion is called on the page. */
export const EXCLUDED_LABEL: Record<ExcludedWhy, string> = {
  shopper: "marked by the shop",
  product: "excluded product",
  line_data: "excluded line data",
  under_min_value: "under the minimum value",
  over_max_value: "over the maximum value",
  not_customer: "not eligible (customers only)",
};

/**
 * The headline card of the carts no rule let through: how many, and by which rule.
 *
 * @example
 * excludedCard(stats, (n) => formatMoney(n, "EUR"));
 */
export function excludedCard(stats: Stats, money: (minor: number) => string): Html {
  const by = stats.excluded.reasons.map((r) => `${r.carts} ${EXCLUDED_LABEL[r.why as ExcludedWhy] ?? r.why}`).join(", ");
  return html`<div class="card"><span class="muted">Carts excluded</span><b data-figure="excluded">${stats.excluded.carts}</b><span class="muted">${
    stats.excluded.carts ? `${money(stats.excluded.value)}: ${by}` : "no rule applied"
  }</span></div>`;
}

const perCurrencyText = (amounts: Record<string, number>) =>
  Object.entries(amounts)
    .map(([currency, minor]) => `${currency} ${majorText(minor, currency)}`)
    .join("\n");

/**
 * The audience section: the mode, the exclusion rules, and the suppressions (count, paste or upload).
 *
 * @example
 * audienceSection(site.settings, 12, csrf);
 */
export function audienceSection(s: SiteSettings, suppressed: number, csrf: Html): Html {
  const e = s.exclusions;
  const tags = e.lineData.map((r) => (r.value === undefined ? r.key : `${r.key}=${r.value}`)).join("\n");
  return html`<section id="audience"><h2>Who gets recovery messages</h2>
<form method="post" action="/dashboard/audience">${csrf}
<label for="audienceMode">Audience</label><select id="audienceMode" name="audience">
<option value="everyone" ${s.audience === "everyone" ? "selected" : ""}>Everyone who gave an address</option>
<option value="customers_only" ${s.audience === "customers_only" ? "selected" : ""}>Customers only (bought before: the EU soft opt-in)</option></select>
<p class="muted">See docs/audience.md for which to pick in the EU. Carts left out are counted as excluded, never as abandoned.</p>
<div class="grid2"><div><label for="minValue">No recovery under (one currency a line, e.g. <code>EUR 15.00</code>)</label><textarea id="minValue" name="minValue" rows="2">${perCurrencyText(e.minValue)}</textarea></div>
<div><label for="maxValue">No recovery over</label><textarea id="maxValue" name="maxValue" rows="2">${perCurrencyText(e.maxValue)}</textarea></div>
<div><label for="productIds">Excluded products (line ids or <code>data.productId</code>, one a line)</label><textarea id="productIds" name="productIds" rows="3">${e.productIds.join("\n")}</textarea></div>
<div><label for="lineData">Excluded line data (<code>key</code> or <code>key=value</code>, one a line)</label><textarea id="lineData" name="lineData" rows="3">${tags}</textarea></div></div>
<button type="submit">Save audience</button></form>
<h3 id="suppressions">Suppressed addresses and numbers</h3>
<p>${suppressed} suppressed (unsubscribes, STOPs, bounces and your own). They get nothing on that channel, for good.</p>
<form method="post" action="/dashboard/suppressions" enctype="multipart/form-data">${csrf}
<label for="suppress-list">Paste addresses or numbers (one a line), or upload your previous email tool's CSV export (an Email or Phone column)</label>
<textarea id="suppress-list" name="list" rows="3"></textarea>
<input type="file" name="file" accept=".csv,text/csv,text/plain">
<p><label style="display:inline"><input type="radio" name="action" value="suppress" checked> suppress them</label>
<label style="display:inline"><input type="radio" name="action" value="lift"> lift your own suppressions of them (an unsubscribe, a STOP or a bounce stays)</label></p>
<button type="submit">Apply</button></form></section>`;
}

type Issue = { path: string; message: string };

/**
 * The audience form as a settings patch (sites/update.ts validates it whole), or the lines it
 * could not read. Amounts are in major units as people write them (`EUR 15.00`, `JPY 1500`).
 *
 * @example
 * audiencePatch({ audience: "customers_only", minValue: "EUR 15", maxValue: "", productIds: "gift-card", lineData: "preorder" });
 */
export function audiencePatch(form: Record<string, string>): { ok: true; patch: Record<string, unknown> } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const lines = (name: string) =>
    (form[name] ?? "")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  const amounts = (name: string) =>
    Object.fromEntries(
      lines(name).flatMap((line, i) => {
        const [, currency, amount] = /^([A-Za-z]{3})\s+([\d.,]+)$/.exec(line) ?? [];
        const minor = currency && amount ? toMinor(amount.replace(",", "."), currency.toUpperCase()) : undefined;
        if (minor === undefined || !currency) {
          issues.push({ path: `${name}.${i}`, message: `"${line.slice(0, 40)}" is not an amount like EUR 15.00` });
          return [];
        }
        return [[currency.toUpperCase(), minor]];
      }),
    );
  const lineData = lines("lineData").map((line) => {
    const at = line.indexOf("=");
    return at < 0 ? { key: line } : { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
  });
  const patch = {
    audience: form.audience,
    exclusions: { minValue: amounts("minValue"), maxValue: amounts("maxValue"), productIds: lines("productIds"), lineData },
  };
  return issues.length ? { ok: false, issues } : { ok: true, patch };
}
