// Hand-built MIME, for the one route that still needs it: a Cloudflare runtime whose send_email
// binding takes only a raw message. Header values that are not plain ASCII become RFC 2047
// encoded words, each at most 75 characters and each holding whole characters (RFC 2047 §2, §5),
// folded so no header line passes 76 characters.

import { base64 as base64Bytes } from "../../protocol/crypto";
import type { Mail } from "./provider";

/** RFC 2047 §2: an encoded word is at most 75 characters, `=?UTF-8?B?` and `?=` included. */
export const MAX_ENCODED_WORD = 75;
const OPEN = "=?UTF-8?B?";
const CLOSE = "?=";
/** RFC 2047 §2: a line holding encoded words is at most 76 characters. */
const MAX_LINE = 76;

const utf8 = new TextEncoder();

/** Base64 of UTF-8 text in 76-character lines, for bodies. */
export const base64Lines = (text: string): string => (base64Bytes(utf8.encode(text)).match(/.{1,76}/g) ?? []).join("\r\n");

/** The most UTF-8 bytes an encoded word of `room` characters can carry (base64: 4 chars per 3 bytes). */
const bytesFitting = (room: number): number => Math.floor((room - OPEN.length - CLOSE.length) / 4) * 3;

/**
 * Text as RFC 2047 "B" encoded words: the first at most `firstRoom` characters long (what the
 * header's name leaves on its line), the others at most 75; a character is never split between
 * two words, so each decodes on its own.
 *
 * @example
 * encodedWords("Té"); // ["=?UTF-8?B?VMOp?="]
 */
export function encodedWords(text: string, firstRoom = MAX_ENCODED_WORD): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  let room = bytesFitting(Math.min(firstRoom, MAX_ENCODED_WORD));
  for (const char of text) {
    const bytes = utf8.encode(char);
    if (chunk.length + bytes.length > room && chunk.length) {
      words.push(`${OPEN}${base64Bytes(Uint8Array.from(chunk))}${CLOSE}`);
      chunk = [];
      room = bytesFitting(MAX_ENCODED_WORD);
    }
    chunk.push(...bytes);
  }
  if (chunk.length || !words.length) words.push(`${OPEN}${base64Bytes(Uint8Array.from(chunk))}${CLOSE}`);
  return words;
}

const isPlain = (value: string): boolean => /^[\x20-\x7e]*$/.test(value);

/**
 * One header line, folded: an ASCII value as it is, else encoded words separated by CRLF and a
 * space (a reader joins adjacent encoded words without the white space between them). No CR or
 * LF from the value reaches the header block: that would be header injection.
 *
 * @example
 * headerLine("Subject", "Ana, tu carrito en Té y Tetera"); // "Subject: =?UTF-8?B?…?=\r\n =?UTF-8?B?…?="
 */
export function headerLine(name: string, value: string): string {
  const clean = value.replace(/[\r\n]+/g, " ");
  if (isPlain(clean)) return `${name}: ${clean}`;
  return `${name}: ${encodedWords(clean, MAX_LINE - name.length - 2).join("\r\n ")}`;
}

/** An address header (`"Name" <a@b>`, `Name <a@b>` or `a@b`) split into its display name and address. */
export function parseAddress(header: string): { name?: string; email: string } {
  const angle = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(header);
  if (!angle) return { email: header.trim() };
  const raw = (angle[1] ?? "").trim();
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(raw);
  const name = quoted ? (quoted[1] ?? "").replace(/\\(.)/g, "$1") : raw;
  return { ...(name && { name }), email: (angle[2] ?? "").trim() };
}

/** A From or Reply-To header: an ASCII one as given, else the display name as encoded words
 * (an encoded word may not stand inside a quoted string) and the address plain. */
function addressLine(name: string, value: string): string {
  const clean = value.replace(/[\r\n]+/g, " ");
  if (isPlain(clean)) return `${name}: ${clean}`;
  const { name: display, email } = parseAddress(clean);
  if (!display) return `${name}: ${clean}`;
  return `${name}: ${encodedWords(display, MAX_LINE - name.length - 2).join("\r\n ")}\r\n <${email}>`;
}

/** A multipart/alternative MIME message, text and HTML both base64 (safe for any content). */
export function toMime(mail: Mail, date = new Date()): string {
  const boundary = `cb_${crypto.randomUUID()}`;
  const domain = /@([^>\s]+)/.exec(mail.from)?.[1] ?? "cartback.invalid";
  const fields: Record<string, string> = {
    From: mail.from,
    To: mail.to,
    Subject: mail.subject,
    ...(mail.replyTo && { "Reply-To": mail.replyTo }),
    ...mail.headers,
  };
  const headers = Object.entries(fields).map(([k, v]) => (k === "From" || k === "Reply-To" ? addressLine(k, v) : headerLine(k, v)));
  return [
    ...headers,
    `Message-ID: <${mail.id}@${domain}>`,
    `Date: ${date.toUTCString()}`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    base64Lines(mail.text),
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    base64Lines(mail.html),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}
