import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { base64url, hmac, utf8 } from "../../protocol/crypto";
import { emptySync } from "../../protocol/merge";
import type { ErrorBody } from "../../protocol/types";
import { FIXTURE } from "../../test/jwt/fixture";
import { forgetSites } from "../sites/sites";
import { ORIGIN, randomId } from "../test/helpers";

// The collector takes a shopper token that Python's and PHP's standard libraries signed (the
// fixture; test/jwt.test.ts checks both languages still sign exactly it), and an old `v1.` one.

beforeAll(async () => {
  await env.DB.prepare("INSERT INTO sites (key, secret, name, origins, settings, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(FIXTURE.site, FIXTURE.secret, "JWT shop", JSON.stringify([ORIGIN]), JSON.stringify({ quietHours: null }), Date.now())
    .run();
  forgetSites();
});

const syncWith = async (token: string) => {
  const res = await exports.default.fetch(`https://collector.test/v1/sync?site=${FIXTURE.site}`, {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "text/plain" },
    body: JSON.stringify({ token, aid: randomId(), cart: emptySync("EUR") }),
  });
  return { status: res.status, body: (await res.json()) as { status?: string } & ErrorBody };
};

it("syncs the cart of a shopper whose token Python's or PHP's standard library signed", async () => {
  const { status, body } = await syncWith(FIXTURE.token);
  expect(status).toBe(200);
  expect(body.status).toBe("ok");
  const devices = await exports.default.fetch(`https://collector.test/v1/sites/${FIXTURE.site}/users/${FIXTURE.userId}/devices`, {
    headers: { authorization: `Bearer ${FIXTURE.secret}` },
  });
  expect(((await devices.json()) as { devices: unknown[] }).devices).toHaveLength(1);
});

it("refuses the same claims unsigned (alg none) or with one character of the signature changed", async () => {
  const [, payload, signature] = FIXTURE.token.split(".");
  const none = `${base64url(utf8(JSON.stringify({ alg: "none", typ: "JWT" })))}.${payload}.`;
  expect((await syncWith(none)).body.error.code).toBe("token_malformed");
  const flipped = `${FIXTURE.token.slice(0, -(signature as string).length)}${signature?.startsWith("A") ? "B" : "A"}${signature?.slice(1)}`;
  expect(await syncWith(flipped)).toMatchObject({ status: 401, body: { error: { code: "token_forged" } } });
});

it("still takes a v1. token signed before JWTs, until it expires", async () => {
  const legacy = async (exp: number) => {
    const payload = base64url(utf8(JSON.stringify({ site: FIXTURE.site, userId: "old-user", exp })));
    return `v1.${payload}.${base64url(await hmac(FIXTURE.secret, `v1.${payload}`))}`;
  };
  expect((await syncWith(await legacy(Math.floor(Date.now() / 1000) + 600))).status).toBe(200);
  expect((await syncWith(await legacy(Math.floor(Date.now() / 1000) - 1))).body.error.code).toBe("token_expired");
});
