// The sync socket's contract: its limits and its close codes (documented in the README, acted on
// by sdk/sync/entry.ts). Codes in the 4000s are the application's own (RFC 6455, 7.4.2); each
// close's reason is the code's name, the same words as the HTTP route's error codes.
import type { TokenProblem } from "../../server/token";

/** A close code and the reason sent with it. */
export type CloseCode = readonly [code: number, reason: string];

/** What the socket's object needs of its site, carried on the socket across hibernation. */
export interface SocketSite {
  id: number;
  key: string;
  maxDevices: number;
  ttlDays: number;
  requireConsent: boolean;
}

/** One message, at most: a whole replica of 300 entries fits, as on `POST /v1/sync`. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Messages per socket and window: a device sends one per change, one at a time, each after its answer. */
export const FLOOD = { messages: 60, windowMs: 10_000 };
/** A socket must say hello (send its token) within this. */
export const HELLO_WITHIN_MS = 10_000;

export const Close = {
  INVALID: [4400, "invalid_message"],
  token: (problem: Exclude<TokenProblem, "other_site">): CloseCode => [4401, `token_${problem}`],
  OTHER_SITE: [4403, "token_other_site"],
  OTHER_ACCOUNT: [4403, "token_other_account"],
  NO_HELLO: [4408, "hello_timeout"],
  RETIRED: [4409, "device_retired"],
  REVOKED: [4410, "device_revoked"],
  SIGNED_OUT: [4411, "signed_out"],
  ERASED: [4412, "account_erased"],
  TOO_LARGE: [4413, "message_too_large"],
  BINARY: [4415, "binary_message"],
  FLOOD: [4429, "too_many_messages"],
  CONSENT: [4451, "consent_required"],
} as const satisfies Record<string, CloseCode | ((p: never) => CloseCode)>;
