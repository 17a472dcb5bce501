<?php
// A shopper token signed with PHP's standard library only (no firebase/php-jwt).
// Usage: php sign.php SITE_KEY USER_ID SECRET EXP [IAT]
$b64url = fn(string $bytes): string => rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
[, $site, $user, $secret, $exp] = $argv;
$claims = ['sub' => $user, 'aud' => $site, 'exp' => (int) $exp];
if (isset($argv[5])) $claims['iat'] = (int) $argv[5];
$header = $b64url(json_encode(['alg' => 'HS256', 'typ' => 'JWT']));
$payload = $b64url(json_encode($claims, JSON_UNESCAPED_SLASHES));
echo "$header.$payload." . $b64url(hash_hmac('sha256', "$header.$payload", $secret, true)) . "\n";
