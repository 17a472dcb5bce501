// One way to make HTML: the `html` template escapes everything it is given unless told otherwise
// with `raw()`, pages share one `layout` and stylesheet, emails one table layout, and figures are
// formatted the same everywhere.
export { EMAIL_STYLE, emailLayout, emailTable, mailHtml, plainEmail } from "./email";
export { formatDateTime, formatDuration, formatMinute, formatMoney, formatPercent, formatUnit } from "./format";
export { type LayoutOptions, layout, PAGE_STYLE } from "./page";
export { escapeHtml, type Html, html, raw } from "./template";
