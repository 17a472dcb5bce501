/** Why a body could not be read. */
export type BodyProblem = "too_large" | "not_utf8";

/**
 * Reads a request body as UTF-8 text, giving up as soon as it passes `maxBytes`, whatever the
 * Content-Length claims (a chunked body has none).
 *
 * @example
 * const text = await readText(c.req.raw, 64 * 1024);
 * if (typeof text !== "string") return jsonError(c, 413, "payload_too_large", "…");
 */
export async function readText(request: Request, maxBytes: number): Promise<string | BodyProblem> {
  const declared = request.headers.get("content-length");
  if (Number(declared) > maxBytes) return "too_large";
  if (!request.body) return "";
  // A declared length within bounds is enforced by the runtime: read natively, skip the loop.
  if (declared !== null) return decode(new Uint8Array(await request.arrayBuffer()));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return "too_large";
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decode(bytes);
}

function decode(bytes: Uint8Array): string | BodyProblem {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return "not_utf8";
  }
}
