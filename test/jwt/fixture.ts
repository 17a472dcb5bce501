// A shopper token as Python's and PHP's standard libraries sign it (sign.py, sign.php: byte for
// byte the same), for inputs fixed here. test/jwt.test.ts re-signs it with both languages and
// checks it is still exactly this; worker/sync/jwt.test.ts sends it to the collector, which must
// accept it. Expires in 2100, so the collector test needs no language runtime and no clock.
export const FIXTURE = {
  site: "pk_jwt_fixture",
  userId: "sb-42",
  secret: "sk_jwt_fixture_0123456789abcdefghij",
  exp: 4102444800,
  iat: 1796000000,
  token:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzYi00MiIsImF1ZCI6InBrX2p3dF9maXh0dXJlIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3OTYwMDAwMDB9.CpTGQxToDsLAwXbmhqpTfhzCYAGMl1D1ahz-ZQkBGQo",
} as const;

/** The arguments sign.py and sign.php take for the fixture. */
export const FIXTURE_ARGS = [FIXTURE.site, FIXTURE.userId, FIXTURE.secret, String(FIXTURE.exp), String(FIXTURE.iat)];
