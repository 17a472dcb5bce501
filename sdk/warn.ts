/** Every problem the script reports goes through here: a console warning, never a throw. */
export const warn = (...args: unknown[]): void => console.warn("[cartback]", ...args);
