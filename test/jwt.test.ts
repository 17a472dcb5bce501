// @vitest-environment node
// Shopper tokens are JWTs (HS256): a shop's backend signs one in any language. Python's and PHP's
// standard libraries sign here (PHP only where `php` is installed); the collector's verifier takes
// both, refuses every other `alg`, and still takes the old `v1.` tokens until they expire.
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { base64url, hmac, utf8 } from "../protocol/crypto";
import { CLOCK_SKEW_SECONDS, signShopperToken, verifyShopperToken } from "../server/token";
import { FIXTURE, FIXTURE_ARGS } from "./jwt/fixture";

const dir = `${import.meta.dirname}/jwt`;
const has = (command: string): boolean => {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
/** Whether the command runs and exits 0. */
function run(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const now = () => Math.floor(Date.now() / 1000);
const SECRET = "sk_live_0123456789abcdefghijklmnop";

const languages = [
  { name: "Python", command: "python3", script: `${dir}/sign.py`, present: has("python3") },
  { name: "PHP", command: "php", script: `${dir}/sign.php`, present: has("php") },
];

describe.each(languages)("signed with $name's standard library", ({ name, command, script, present }) => {
  const run = (args: string[]) => execFileSync(command, [script, ...args], { encoding: "utf8" }).trim();
  // Skipped, not failed, where the language is not installed: the reason is in the test's name.
  const test = it.skipIf(!present);
  const why = present ? "" : ` (skipped: no \`${command}\` on this machine)`;

  test(`is accepted, and refused with another secret or for another site${why}`, async () => {
    const token = run(["pk_shop", "user-7", SECRET, String(now() + 600), String(now())]);
    expect(await verifyShopperToken(token, "pk_shop", SECRET)).toEqual({ site: "pk_shop", userId: "user-7", exp: expect.any(Number) });
    expect(await verifyShopperToken(token, "pk_shop", "sk_other_0123456789")).toBe("forged");
    expect(await verifyShopperToken(token, "pk_elsewhere", SECRET)).toBe("other_site");
    expect(await verifyShopperToken(run(["pk_shop", "user-7", SECRET, String(now() - 1)]), "pk_shop", SECRET)).toBe("expired");
  }, 30_000); // a language's start-up (pyenv's shim) takes seconds on a loaded machine

  test(`still signs the collector test's fixture byte for byte${why}`, () => {
    expect(run(FIXTURE_ARGS), `${name} no longer signs worker/sync/jwt.test.ts's fixture`).toBe(FIXTURE.token);
  }, 30_000);
});

// docs/tokens.md's snippets for the JWT libraries, run where the library is installed (Debian:
// python3-jwt, ruby-jwt); each prints a token for pk_shop, user 42, signed with SECRET.
const libraries = [
  {
    name: "PyJWT",
    command: "/usr/bin/python3",
    args: [
      "-c",
      `import time, jwt
now = int(time.time())
print(jwt.encode({"sub": str(42), "aud": "pk_shop", "iat": now, "exp": now + 3600}, "${SECRET}", algorithm="HS256"))`,
    ],
    present: has("/usr/bin/python3") && run("/usr/bin/python3", ["-c", "import jwt"]),
  },
  {
    name: "ruby-jwt",
    command: "ruby",
    args: [
      "-e",
      `require "jwt"; now = Time.now.to_i; puts JWT.encode({ sub: 42.to_s, aud: "pk_shop", iat: now, exp: now + 3600 }, "${SECRET}", "HS256")`,
    ],
    present: has("ruby") && run("ruby", ["-e", 'require "jwt"']),
  },
];

describe.each(libraries)("signed with $name, as docs/tokens.md shows", ({ command, args, present }) => {
  it.skipIf(!present)(
    `is accepted${present ? "" : ` (skipped: no ${command} with the library on this machine)`}`,
    async () => {
      const token = execFileSync(command, args, { encoding: "utf8" }).trim();
      expect(await verifyShopperToken(token, "pk_shop", SECRET)).toMatchObject({ site: "pk_shop", userId: "42" });
    },
    30_000,
  );
});

/** A JWT with any header, signed (or not) as the header says would be wrong. */
const withHeader = (header: object, claims: object, signature = "") =>
  `${base64url(utf8(JSON.stringify(header)))}.${base64url(utf8(JSON.stringify(claims)))}.${signature}`;

describe("only HS256", () => {
  const claims = () => ({ sub: "user-1", aud: "pk_shop", exp: now() + 600 });

  it("refuses alg none, with or without a signature", async () => {
    expect(await verifyShopperToken(withHeader({ alg: "none", typ: "JWT" }, claims()), "pk_shop", SECRET)).toBe("malformed");
    const none = withHeader({ alg: "none" }, claims());
    expect(await verifyShopperToken(`${none}${base64url(await hmac(SECRET, none.slice(0, -1)))}`, "pk_shop", SECRET)).toBe("malformed");
  });

  it("refuses HS384 and HS512, even signed with the right secret", async () => {
    for (const alg of ["HS384", "HS512"] as const) {
      const token = await sign(claims(), { kty: "oct", k: base64url(utf8(SECRET)), alg }, alg);
      expect(await verifyShopperToken(token, "pk_shop", SECRET), alg).toBe("malformed");
    }
  });

  it("refuses an RS256 header over an HMAC signature (the algorithm-confusion attack)", async () => {
    const unsigned = withHeader({ alg: "RS256", typ: "JWT" }, claims());
    const token = `${unsigned}${base64url(await hmac(SECRET, unsigned.slice(0, -1)))}`;
    expect(await verifyShopperToken(token, "pk_shop", SECRET)).toBe("malformed");
  });

  it("needs sub, aud and exp", async () => {
    for (const missing of ["sub", "aud", "exp"]) {
      const partial = Object.fromEntries(Object.entries(claims()).filter(([k]) => k !== missing));
      const token = await sign(partial, { kty: "oct", k: base64url(utf8(SECRET)), alg: "HS256" });
      expect(await verifyShopperToken(token, "pk_shop", SECRET), missing).toBe("malformed");
    }
  });
});

describe("time", () => {
  const signed = (claims: Record<string, unknown>) => sign(claims, { kty: "oct", k: base64url(utf8(SECRET)), alg: "HS256" });

  it(`takes a token issued up to ${CLOCK_SKEW_SECONDS} s in the future (a shop's clock running fast), not more`, async () => {
    const base = { sub: "user-1", aud: "pk_shop", exp: now() + 600 };
    expect(await verifyShopperToken(await signed({ ...base, iat: now() + 30 }), "pk_shop", SECRET)).toMatchObject({ userId: "user-1" });
    expect(await verifyShopperToken(await signed({ ...base, nbf: now() + 30 }), "pk_shop", SECRET)).toMatchObject({ userId: "user-1" });
    expect(await verifyShopperToken(await signed({ ...base, iat: now() + 120 }), "pk_shop", SECRET)).toBe("expired");
    expect(await verifyShopperToken(await signed({ ...base, nbf: now() + 120 }), "pk_shop", SECRET)).toBe("expired");
  });

  it("takes an aud list naming the site, and a jti", async () => {
    const token = await signed({ sub: "u", aud: ["pk_a", "pk_shop"], exp: now() + 60, jti: "j-1" });
    expect(await verifyShopperToken(token, "pk_shop", SECRET)).toMatchObject({ site: "pk_shop", userId: "u" });
    expect(await verifyShopperToken(token, "pk_b", SECRET)).toBe("other_site");
  });
});

/** A token in the format before JWTs, as `cartback/server` signed them until this release. */
async function legacyToken(site: string, userId: string, secret: string, exp: number): Promise<string> {
  const payload = base64url(utf8(JSON.stringify({ site, userId, exp })));
  return `v1.${payload}.${base64url(await hmac(secret, `v1.${payload}`))}`;
}

describe("the old v1. format", () => {
  it("is accepted until it expires, and never for another site or secret", async () => {
    const live = await legacyToken("pk_shop", "user-1", SECRET, now() + 600);
    expect(await verifyShopperToken(live, "pk_shop", SECRET)).toMatchObject({ site: "pk_shop", userId: "user-1" });
    expect(await verifyShopperToken(live, "pk_shop", "sk_other_0123456789")).toBe("forged");
    expect(await verifyShopperToken(live, "pk_elsewhere", SECRET)).toBe("other_site");
    expect(await verifyShopperToken(await legacyToken("pk_shop", "user-1", SECRET, now() - 1), "pk_shop", SECRET)).toBe("expired");
  });
});

it("signShopperToken makes a JWT any library reads: sub, aud, iat and exp, HS256", async () => {
  const token = await signShopperToken({ site: "pk_shop", userId: "user-1", secret: SECRET, expiresInSeconds: 60 });
  const [header, payload] = token
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))));
  expect(header).toEqual({ alg: "HS256", typ: "JWT" });
  expect(payload).toEqual({ sub: "user-1", aud: "pk_shop", iat: expect.any(Number), exp: payload.iat + 60 });
});

it("no change to any one character of a token makes it verify as someone else (property)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(), fc.nat({ max: 63 }), async (userId, at, to) => {
      const token = await signShopperToken({ site: "pk_shop", userId, secret: SECRET });
      const i = at % token.length;
      const char = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[to] as string;
      const changed = `${token.slice(0, i)}${char}${token.slice(i + 1)}`;
      const result = await verifyShopperToken(changed, "pk_shop", SECRET);
      // Either refused, or still exactly this shopper (base64url's last character has spare bits).
      expect(typeof result === "string" || (result.userId === userId && result.site === "pk_shop")).toBe(true);
    }),
    { numRuns: 200 },
  );
});
