# A shopper token signed with Python's standard library only (no PyJWT): what a shop's backend
# without a JWT library can do. Usage: python3 sign.py SITE_KEY USER_ID SECRET EXP [IAT]
import base64, hashlib, hmac, json, sys

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

site, user, secret, exp = sys.argv[1:5]
claims = {"sub": user, "aud": site, "exp": int(exp)}
if len(sys.argv) > 5:
    claims["iat"] = int(sys.argv[5])
header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
signature = b64url(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
print(f"{header}.{payload}.{signature}")
