/** Every problem the script reports goes through here: a console warning, never a throw. */
export const warn = (...args: unknown[]): void => console.warn("[cartback]", ...args);

/** Throws `invalid <what>` unless `ok`: a refusal is a thrown string, which the caller turns into one warning. */
export function need(ok: unknown, what: string): asserts ok {
  if (!ok) throw `invalid ${what}`;
}
