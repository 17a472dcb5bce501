// A simulated Twilio for the SMS adapter's tests: the Messages resource's create and list calls,
// answered in the documented shapes, with failures injected per create call. Nothing in it
// decides what the adapter should do; it only counts what Twilio would hold.

import type { Fetch } from "../sms/twilio";

export const ACCOUNT_SID = `AC${"a1".repeat(16)}`;
export const AUTH_TOKEN = "test-auth-token-0123456789abcdef";

/**
 * What Twilio does with one create call.
 * - `ok`: 201 with the Message (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource).
 * - `slow`: the same, 10 ms later: the message exists only once the answer is near, so another
 *   attempt running meanwhile cannot see it yet.
 * - `429`: HTTP 429, error 20429, Retry-After; never processed (https://www.twilio.com/docs/api/errors/20429).
 * - `500` / `503`: an error answer; nothing created (https://www.twilio.com/docs/api/errors/20500, /20503).
 * - `500-created`: Twilio created the message and the answer was still a 500 (the case 20500 warns of).
 * - `timeout` / `timeout-created`: no answer until the client gives up; created or not.
 * - `network`: the connection drops before the request is read.
 * - `crash`: Twilio creates the message and the worker dies before it hears back (the attempt never ends).
 * - `21610` / `21211` / `21408`: refusals, HTTP 400 with Twilio's error body
 *   (https://www.twilio.com/docs/usage/twilios-response, https://www.twilio.com/docs/api/errors/21610).
 */
export type TwilioBehaviour =
  | "ok"
  | "slow"
  | "429"
  | "500"
  | "503"
  | "500-created"
  | "timeout"
  | "timeout-created"
  | "network"
  | "crash"
  | "21610"
  | "21211"
  | "21408";

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status_callback: string | null;
  date_created: string;
}

export interface SimulatedTwilio {
  fetch: Fetch;
  /** Messages Twilio holds, oldest first: what the shopper's phone would receive. */
  messages: TwilioMessage[];
  /** Every request, with its form (create) or query (list), for asserting the request's shape. */
  requests: { method: string; url: string; authorization: string | null; contentType: string | null; form: URLSearchParams }[];
  /** Behaviours for the coming create calls, in order; `ok` once it runs out. */
  script: TwilioBehaviour[];
  /** Make the coming list calls fail with a 500, this many times. */
  listFailures: number;
}

const hex32 = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

const errorBody = (status: number, code: number, message: string) =>
  // The error shape of the 2010 API: https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions
  JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

/** A Message resource as JSON (https://www.twilio.com/docs/messaging/api/message-resource#message-properties). */
const resource = (m: TwilioMessage) => ({
  account_sid: ACCOUNT_SID,
  api_version: "2010-04-01",
  body: m.body,
  date_created: m.date_created,
  date_sent: null,
  date_updated: m.date_created,
  direction: "outbound-api",
  error_code: null,
  error_message: null,
  from: m.from,
  messaging_service_sid: m.messaging_service_sid,
  num_media: "0",
  num_segments: "1",
  price: null,
  price_unit: "USD",
  sid: m.sid,
  status: m.messaging_service_sid ? "accepted" : "queued",
  subresource_uris: { media: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${m.sid}/Media.json` },
  to: m.to,
  uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${m.sid}.json`,
});

/** Twilio's Messages API on `now`'s clock. */
export function simulatedTwilio(now: () => number = Date.now): SimulatedTwilio {
  const sim: SimulatedTwilio = { messages: [], requests: [], script: [], listFailures: 0, fetch: async () => new Response() };
  const path = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
  const hang = (signal: AbortSignal | null | undefined) =>
    new Promise<Response>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
  const store = (form: URLSearchParams): TwilioMessage => {
    const m: TwilioMessage = {
      sid: `SM${hex32()}`,
      to: form.get("To") ?? "",
      from: form.get("From"),
      messaging_service_sid: form.get("MessagingServiceSid"),
      body: form.get("Body") ?? "",
      status_callback: form.get("StatusCallback"),
      date_created: new Date(now()).toUTCString().replace("GMT", "+0000"),
    };
    sim.messages.push(m);
    return m;
  };
  sim.fetch = async (input, init) => {
    const url = new URL(input);
    const headers = new Headers(init.headers);
    const form = init.method === "POST" ? new URLSearchParams(String(init.body)) : url.searchParams;
    sim.requests.push({
      method: init.method ?? "GET",
      url: input,
      authorization: headers.get("authorization"),
      contentType: headers.get("content-type"),
      form,
    });
    if (`${url.origin}${url.pathname}` !== path)
      return new Response(errorBody(404, 20404, "The requested resource was not found"), { status: 404 });
    if (init.method === "GET") {
      if (sim.listFailures > 0) {
        sim.listFailures--;
        return new Response(errorBody(500, 20500, "Internal Server Error"), { status: 500 });
      }
      // Read multiple Message resources, newest first, filtered by To:
      // https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources
      const to = url.searchParams.get("To");
      const size = Number(url.searchParams.get("PageSize") ?? 50);
      const listed = sim.messages
        .filter((m) => !to || m.to === to)
        .reverse()
        .slice(0, size)
        .map(resource);
      return Response.json({
        messages: listed,
        page: 0,
        page_size: size,
        first_page_uri: url.pathname,
        next_page_uri: null,
        previous_page_uri: null,
        uri: url.pathname,
      });
    }
    const behaviour = sim.script.shift() ?? "ok";
    switch (behaviour) {
      case "ok":
        return Response.json(resource(store(form)), { status: 201 });
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, 10));
        return Response.json(resource(store(form)), { status: 201 });
      case "429":
        return new Response(errorBody(429, 20429, "Too Many Requests"), { status: 429, headers: { "retry-after": "2" } });
      case "500":
        return new Response(errorBody(500, 20500, "Internal Server Error"), { status: 500 });
      case "503":
        return new Response(errorBody(503, 20503, "Service unavailable"), { status: 503 });
      case "500-created":
        store(form);
        return new Response(errorBody(500, 20500, "Internal Server Error"), { status: 500 });
      case "timeout":
        return hang(init.signal);
      case "timeout-created":
        store(form);
        return hang(init.signal);
      case "network":
        throw new TypeError("Network connection lost.");
      case "crash":
        store(form);
        return new Promise<Response>(() => {});
      case "21610":
        return new Response(errorBody(400, 21610, "Attempt to send to unsubscribed recipient"), { status: 400 });
      case "21211":
        return new Response(errorBody(400, 21211, `The 'To' number ${form.get("To")} is not a valid phone number.`), { status: 400 });
      case "21408":
        return new Response(
          errorBody(400, 21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
          {
            status: 400,
          },
        );
    }
  };
  return sim;
}
