// CSV for spreadsheets: every cell quoted where it must be, and defused where a spreadsheet would
// run it as a formula (OWASP, "CSV Injection": https://owasp.org/www-community/attacks/CSV_Injection).

/**
 * One CSV cell: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
 * `'` (a spreadsheet shows it as text), then it is quoted if it holds a quote, comma or line break.
 *
 * @example
 * csvCell("=HYPERLINK(\"x\")"); // "\"'=HYPERLINK(\"\"x\"\")\""
 * csvCell("+34600111222"); // "'+34600111222"
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : Array.isArray(value) ? value.join(" ") : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A CSV document (CRLF line ends, as RFC 4180 says) from a header and rows.
 *
 * @example
 * csvOf(["email"], [["ana@example.com"]]); // "email\r\nana@example.com\r\n"
 */
export const csvOf = (header: string[], rows: unknown[][]): string =>
  [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
