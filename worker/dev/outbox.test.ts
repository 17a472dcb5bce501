import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("serves the outbox on a local host only, and leaves every other path to the collector's own 404", async () => {
  const remote = await exports.default.fetch("https://collector.example/dev/outbox");
  expect(remote.status).toBe(404);
  expect(await remote.json()).toMatchObject({ error: { code: "not_found", message: expect.stringContaining("local collector") } });
  expect((await exports.default.fetch("http://127.0.0.1:8787/dev/outbox")).status).toBe(200);
  const unknown = await exports.default.fetch("https://collector.example/no/such/page");
  expect(await unknown.json()).toMatchObject({ error: { code: "not_found", message: "no route for GET /no/such/page" } });
});
