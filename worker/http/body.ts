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
  const bytes = await readBytes(request, maxBytes);
  return typeof bytes === "string" ? bytes : decode(bytes);
}

/**
 * A request body's bytes as sent, giving up as soon as it passes `maxBytes` (a signature is
 * checked over these, before anything decodes them).
 *
 * @example
 * const bytes = await readBytes(c.req.raw, 1024 * 1024);
 * if (bytes === "too_large") return jsonError(c, 413, "payload_too_large", "…");
 */
export async function readBytes(request: Request, maxBytes: number): Promise<Uint8Array | "too_large"> {
  const declared = request.headers.get("content-length");
  if (Number(declared) > maxBytes) return "too_large";
  if (!request.body) return new Uint8Array();
  // A declared length within bounds is enforced by the runtime: read natively, skip the loop.
  if (declared !== null) return new Uint8Array(await request.arrayBuffer());
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
  return bytes;
}

/**
 * UTF-8 text of bytes, or `not_utf8` (no replacement characters: a broken body is refused).
 *
 * @example
 * decode(new Uint8Array([0xff])); // "not_utf8"
 */
export function decode(bytes: Uint8Array): string | BodyProblem {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return "not_utf8";
  }
}
