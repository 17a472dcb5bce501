/** Polls until `check` stops throwing, or rethrows its last error when the time is up.
 * Runtime-neutral: used by the collector tests in workerd and the browser tests in Node. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
