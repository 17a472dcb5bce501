// A tiny HTTP server for the platform simulators: requests as Fetch API Requests, answers as Responses.
import { createServer, type IncomingMessage } from "node:http";

export type Handler = (request: Request, cookies: Record<string, string>) => Response | Promise<Response>;

const cookiesOf = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    (req.headers.cookie || "")
      .split(/;\s*/)
      .filter(Boolean)
      .map((c) => [c.slice(0, c.indexOf("=")), decodeURIComponent(c.slice(c.indexOf("=") + 1))]),
  );

/** Serves `handler` on 127.0.0.1:`port`; resolves once listening. */
export async function serve(port: number, handler: Handler): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      });
      const response = await handler(request, cookiesOf(req));
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        headers[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
      });
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const typed = (type: string, init: ResponseInit): ResponseInit => {
  const headers = new Headers(init.headers);
  headers.set("content-type", type);
  return { ...init, headers };
};

export const json = (body: unknown, init: ResponseInit = {}): Response =>
  new Response(JSON.stringify(body), typed("application/json", init));

export const html = (body: string, init: ResponseInit = {}): Response => new Response(body, typed("text/html; charset=utf-8", init));

/** A request's body as fields, whatever the theme sent: JSON, a urlencoded form or multipart FormData. */
export async function fieldsOf(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") || "";
  if (type.includes("application/json")) {
    const text = await request.text();
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }
  if (type.includes("multipart/form-data") || type.includes("application/x-www-form-urlencoded")) {
    const form = await request.formData();
    const fields: Record<string, unknown> = {};
    const properties: Record<string, string> = {};
    for (const [name, value] of form) {
      const property = /^properties\[(.+)\]$/.exec(name);
      if (property) properties[property[1] as string] = String(value);
      else fields[name] = String(value);
    }
    return Object.keys(properties).length ? { ...fields, properties } : fields;
  }
  return {};
}
