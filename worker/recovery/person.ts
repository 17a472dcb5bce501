import { DAY_MS, MINUTE_MS } from "../../protocol/limits";
import { type Browser, KEEP_MOMENTS, KEEP_POINTS, type PaidOrder, PHONE_KEY } from "../db/schema";
import { type SiteSettings, type StepChannel, smsQuietHours } from "../sites/settings";

export type { Browser, CartPoint, PaidOrder } from "../db/schema";

import { type ExcludedWhy, exclusionOf, shopSaid } from "./audience";
import { awake } from "./quiet";
import { deriveReason, type StallReason, type TemplateName, templateOf } from "./reasons";
import { awaitSent, type ClaimStates, nextRescue, rescue, settled, type Unconfirmed } from "./rescue";

// The recovery decisions, as a pure function of what a person's object knows, the site's
// settings, the time and what just happened. The Durable Object (shopper.ts) only loads the
// state, gathers the facts that live in D1, calls `decide`, saves, and carries out the effects.

export type StopReason = "purchased" | "returned" | "emptied" | "unsubscribed" | "expired" | "site_cap" | "merged";
/** `moved`: handed to the person the shopper's email makes them (see `handOver`); kept so a late
 * job of it can be sent on to them. `excluded`: the site's rules or audience gave it no recovery
 * (audience.ts); it only stands for the intent in the stats. */
type SequenceStatus = "active" | "completed" | "stopped" | "holdout" | "moved" | "excluded";

/** The channel a message goes by. */
export type Channel = "email" | "sms";

export { PHONE_KEY } from "../db/schema";

/**
 * Whether a person's key is a phone number rather than an email.
 *
 * @example
 * isPhoneKey("tel:+34600111222"); // true
 */
export const isPhoneKey = (key: string): boolean => key.startsWith(PHONE_KEY);

export interface Sequence {
  id: string;
  /** The cart the sequence is about (the freshest live cart when it started). */
  aid: string;
  /** The purchase intent when it started: the time of the boundary it began after (for the record;
   * decisions recompute it from `basedOn`, see `intentAt`). */
  intent: number;
  /** The person's last activity when it started: anything later means they came back. */
  basedOn: number;
  /** When the quiet threshold passed; steps are timed from here. */
  detectedAt: number;
  reason: StallReason;
  value: number;
  currency: string;
  /** The next step to claim. */
  step: number;
  status: SequenceStatus;
  stopReason?: StopReason;
  /** Sends and human clicks (for the holdout: the abandonment), oldest first. Attribution opens at each. */
  touches: number[];
  /** Messages known to have gone out. */
  sent: string[];
  recoveredOrderId?: string;
  /** With status `moved`: the key of the person who carries it on. */
  movedTo?: string;
  /** With status `excluded`: the rule that excluded it. */
  excluded?: ExcludedWhy;
}

/** A message claimed for sending, with what its `messages` row needs. */
export interface Claim {
  id: string;
  sequenceId: string;
  step: number;
  template: TemplateName;
  dueAt: number;
  abandonedAt: number;
  /** Absent in claims an object saved before texts existed: those are emails. */
  channel?: Channel;
  /** For a text: the number it goes to. */
  phone?: string;
}

/** What the collector must do in D1, on queues and webhooks. Each one is idempotent. */
export type Effect =
  | { do: "start"; sequence: Sequence; at: number }
  | { do: "stop"; sequenceId: string; why: StopReason; at: number }
  | { do: "complete"; sequenceId: string }
  | { do: "claim"; claim: Claim; at: number }
  /** A claim not known to be sent a while after: its job is queued again (rescue.ts). */
  | { do: "requeue"; claim: Claim; at: number }
  | { do: "notify_merchant"; sequenceId: string }
  | { do: "credit"; sequenceId: string; order: PaidOrder };

export interface PersonState {
  site: number;
  /** The person's key: their email, or `tel:` and their number when they gave only a phone. */
  email: string;
  name?: string;
  browsers: Record<string, Browser>;
  /** Orders reported without a browser (merchant API, webhooks), and every order's id once. */
  orders: PaidOrder[];
  sequences: Sequence[];
  /** Sequence starts and sends, for the per-address caps. */
  starts: number[];
  sends: number[];
  /** Known from an unsubscribe through this object; D1's suppression list is checked as well. */
  suppressed?: boolean;
  /** The latest activity on a device that gave only this person's number (its phone-keyed person
   * tells it, shopper.ts): the shopper is back there, so they are back. */
  elsewhere?: number;
  /** Claims not yet known to be sent, which the alarm queues again if their job was lost (rescue.ts). */
  unconfirmed?: Unconfirmed[];
}

/** What happened. */
export type Input =
  /** Fresh snapshots of some of the person's browsers (new events stored, or a browser tied to them). */
  | { type: "browsers"; browsers: Browser[]; name?: string; adopt?: Handed }
  /** A paid order reported by the shop's server or a platform, or by the script before its batch is stored. */
  | { type: "order"; order: PaidOrder; aid?: string }
  /** A person (not a scanner) opened a recovery link on this browser, which is theirs from now on. */
  | { type: "opened"; sequenceId: string; aid: string; at: number; browser?: Browser }
  | { type: "alarm" }
  /** The mail consumer's last question before it hands a message to the provider. */
  | { type: "confirm"; messageId: string; channel?: Channel }
  | { type: "sent"; messageId: string; at: number }
  | { type: "unsubscribed" }
  /** The shopper was active at `at` on a device that gave only their number. */
  | { type: "activity"; at: number };

/** Sequences, caps and orders handed over by the phone-keyed person whose browsers this one's email now covers. */
export interface Handed {
  sequences: Sequence[];
  starts: number[];
  sends: number[];
  /** Every order the phone-keyed person knew of, from any of its devices: the same shopper paid. */
  orders: PaidOrder[];
  /** The phone-keyed person's latest activity, on any of its devices. */
  activity?: number;
}

/** What only D1 or a hash knows, gathered by the shell before it decides. */
export interface Facts {
  /** The address is on the site's suppression list. */
  suppressed: boolean;
  /** Recovery messages the site has sent or queued in the last 24 hours. */
  siteSentToday: number;
  /** The person is in the site's holdout group. */
  holdout: boolean;
  /** A fresh id for a sequence that may start. */
  newId: string;
  /** The person's number (`phoneOf`) may not be texted: a STOP, a withdrawn consent, undeliverable. */
  phoneSuppressed?: boolean;
  /** The number said STOP: an unsubscribe, which stops every channel. */
  phoneStopped?: boolean;
  /** For an alarm: where D1 says each claim due for a rescue stands (rescue.ts `dueForRescue`). */
  claims?: ClaimStates;
  /** The merchant suppressed the address (their list, not the shopper's opt-out): no email, other channels go on. */
  emailSuppressed?: boolean;
  /** The person is on the merchant's list of excluded shoppers (merchant API). */
  listed?: boolean;
}

export type Verdict =
  | {
      send: true;
      aid: string;
      reason: StallReason;
      step: number;
      name?: string;
      /** The person's language preferences and time zone, from their freshest browser that told (see `whereabouts`). */
      locale?: string;
      timeZone?: string;
      /** For a text: the number to send it to, as the freshest consent gave it. */
      phone?: string;
    }
  | { send: false; why: StopReason | "unknown" | "unreachable" | "excluded" }
  /** The sequence went to another person (the email the shopper gave later): ask them. */
  | { send: false; why: "moved"; movedTo: string };

export interface Decision {
  state: PersonState;
  effects: Effect[];
  /** When the object must look again (null: not until something happens). */
  alarm: number | null;
  verdict?: Verdict;
}

const KEEP_SEQUENCES = 10;
const KEEP_ORDERS = 50;

/** An empty person. */
export const newPerson = (site: number, email: string): PersonState => ({
  site,
  email,
  browsers: {},
  orders: [],
  sequences: [],
  starts: [],
  sends: [],
});

interface Boundary {
  at: number;
  kind: "purchased" | "emptied";
}

/** Every paid order the person made, from any browser or the shop's server, each once. */
export function ordersOf(state: PersonState): PaidOrder[] {
  const byId = new Map<string, PaidOrder>();
  for (const o of [...state.orders, ...Object.values(state.browsers).flatMap((b) => b.orders)]) {
    const seen = byId.get(o.orderId);
    if (!seen || o.at < seen.at) byId.set(o.orderId, o);
  }
  return [...byId.values()].sort((a, b) => a.at - b.at);
}

/**
 * Where purchase intents end, by time: every paid order (it closes every cart changed before it,
 * on every browser), and every moment the person's last live cart was emptied. Computed from
 * what is known, whatever order it arrived in, so a late batch moves no boundary it should not.
 */
export function boundaries(state: PersonState): Boundary[] {
  type Point = { at: number; aid?: string; value: number };
  const points: Point[] = ordersOf(state).map((o) => ({ at: o.at, value: 0 }));
  for (const b of Object.values(state.browsers)) for (const p of b.points) points.push({ at: p.at, aid: b.aid, value: p.value });
  // At the same millisecond the cart comes first: a purchase event follows its cart.
  points.sort((a, b) => a.at - b.at || (a.aid === undefined ? 1 : 0) - (b.aid === undefined ? 1 : 0));
  const live = new Set<string>();
  const out: Boundary[] = [];
  for (const p of points) {
    if (p.aid === undefined) {
      out.push({ at: p.at, kind: "purchased" });
      live.clear();
    } else if (p.value > 0) live.add(p.aid);
    else if (live.delete(p.aid) && live.size === 0) out.push({ at: p.at, kind: "emptied" });
  }
  return out;
}

/** The current purchase intent: the time of the last boundary (0 before any). */
const intentOf = (bounds: Boundary[]): number => bounds.at(-1)?.at ?? 0;

/**
 * The intent a time falls in: the last boundary at or before it. A sequence's intent is the one
 * its abandonment falls in, recomputed from what is known now: an order learned late, from a
 * browser tied late, moves a boundary before the sequence without making it a second intent.
 */
const intentAt = (bounds: Boundary[], t: number): Boundary | undefined => bounds.findLast((b) => b.at <= t);

const hasSequence = (state: PersonState, bounds: Boundary[], intent: number): boolean =>
  state.sequences.some((s) => (intentAt(bounds, s.basedOn)?.at ?? 0) === intent);

/** Carts that belong to the current intent: not empty, changed after its start, not expired. Freshest first. */
function liveCarts(state: PersonState, intent: number, now: number): Browser[] {
  return Object.values(state.browsers)
    .filter((b) => {
      const last = b.points.at(-1);
      return last !== undefined && last.value > 0 && last.at > intent && b.expiresAt > now;
    })
    .sort((a, b) => (b.points.at(-1)?.at ?? 0) - (a.points.at(-1)?.at ?? 0));
}

/** The person's latest activity, on any browser of theirs or on a device that gave only their number. */
export const lastActivityOf = (state: PersonState): number =>
  Math.max(state.elsewhere ?? 0, ...Object.values(state.browsers).map((b) => b.lastActivity));

const quietMs = (settings: SiteSettings) => settings.abandonAfterMinutes * MINUTE_MS;

/**
 * Where the person is, as far as their browsers said: the language preferences and the time zone
 * of the most recently active browser that sent each.
 *
 * @example
 * whereabouts(person); // { locale: "es-ES,es", timeZone: "Europe/Madrid" }
 */
export function whereabouts(state: PersonState): { locale?: string; timeZone?: string } {
  const freshest = Object.values(state.browsers).sort((a, b) => b.lastActivity - a.lastActivity);
  return { locale: freshest.find((b) => b.locale)?.locale, timeZone: freshest.find((b) => b.timeZone)?.timeZone };
}

/**
 * The number the person may be texted at: their most recent consent on any of their browsers that
 * was not withdrawn since (suppressions are D1's, see `Facts`).
 *
 * @example
 * phoneOf(person); // "+34600111222", or undefined
 */
export function phoneOf(state: PersonState): string | undefined {
  let best: { phone: string; at: number } | undefined;
  for (const b of Object.values(state.browsers)) if (b.sms && (!best || b.sms.at > best.at)) best = b.sms;
  return best?.phone;
}

/**
 * How a step reaches the person now, or undefined when it cannot (skipped, not failed): `email`
 * needs an email the merchant did not suppress, `sms` a consented number not suppressed,
 * `sms_if_no_email` is email for a person with one and a text for a person without.
 *
 * @example
 * channelOf(phoneOnly, "sms_if_no_email", false); // "sms"
 */
export function channelOf(state: PersonState, wanted: StepChannel, phoneSuppressed = false, emailSuppressed = false): Channel | undefined {
  const email = !isPhoneKey(state.email) && !emailSuppressed;
  const sms = phoneOf(state) !== undefined && !phoneSuppressed;
  if (wanted === "email") return email ? "email" : undefined;
  if (wanted === "sms") return sms ? "sms" : undefined;
  return email ? "email" : sms ? "sms" : undefined;
}

/** When a step falls due: its time after the abandonment, moved out of the quiet hours of the
 * person's zone (the site's when none is known); a text keeps the night even where email does not. */
const dueAt = (state: PersonState, sequence: Sequence, step: number, settings: SiteSettings): number => {
  const config = settings.steps[step];
  if (config === undefined) return Number.POSITIVE_INFINITY;
  const texted = channelOf(state, config.channel) === "sms";
  const quiet = texted ? smsQuietHours(settings) : settings.quietHours;
  return awake(sequence.detectedAt + config.afterMinutes * MINUTE_MS, whereabouts(state).timeZone ?? settings.timeZone, quiet);
};

const activeSequence = (state: PersonState): Sequence | undefined => {
  const last = state.sequences.at(-1);
  return last?.status === "active" ? last : undefined;
};

/** Why a sequence must not go on, if it must not. */
function stopReason(state: PersonState, sequence: Sequence, now: number, suppressed: boolean): StopReason | undefined {
  const bounds = boundaries(state);
  const own = intentAt(bounds, sequence.basedOn);
  // An order, or the last cart emptied, since the shopper left: their intent ended.
  const after = bounds.find((b) => b.at > sequence.basedOn);
  if (after) return after.kind;
  if (!liveCarts(state, own?.at ?? 0, now).length) {
    // Closed before they left, by a boundary learned only now (a browser tied late), or expired.
    if (own) return own.kind;
    const expired = Object.values(state.browsers).some((b) => (b.points.at(-1)?.value ?? 0) > 0);
    return expired ? "expired" : "emptied";
  }
  if (lastActivityOf(state) > sequence.basedOn) return "returned";
  if (suppressed || state.suppressed) return "unsubscribed";
}

/** Whether some step of the site could reach the person at all: a person known only by a number
 * on a site whose steps all go by email starts no sequence it could never send. */
const reachable = (state: PersonState, settings: SiteSettings, facts: Pick<Facts, "phoneSuppressed" | "emailSuppressed">): boolean =>
  settings.steps.some((s) => channelOf(state, s.channel, facts.phoneSuppressed, facts.emailSuppressed) !== undefined);

/**
 * Credits a paid order to the sequence whose message (or click) came last before it, within the
 * attribution window. A sequence is credited once, an order once, and never to a message that had
 * not gone out when the order was paid.
 */
function credit(state: PersonState, order: PaidOrder, settings: SiteSettings, effects: Effect[]): void {
  if (state.sequences.some((s) => s.recoveredOrderId === order.orderId)) return;
  const window = settings.attributionDays * DAY_MS;
  const sequence = [...state.sequences]
    .reverse()
    .find((s) => !s.recoveredOrderId && s.touches.some((t) => t <= order.at && order.at - t <= window));
  if (!sequence) return;
  sequence.recoveredOrderId = order.orderId;
  effects.push({ do: "credit", sequenceId: sequence.id, order });
}

const KEEP_TOUCHES = 10;

function touch(sequence: Sequence, at: number): void {
  sequence.touches = [...sequence.touches, at].sort((a, b) => a - b).slice(-KEEP_TOUCHES);
}

function stop(sequence: Sequence, why: StopReason, now: number, effects: Effect[]): void {
  if (sequence.status === "stopped" || sequence.status === "holdout") return;
  sequence.status = "stopped";
  sequence.stopReason = why;
  effects.push({ do: "stop", sequenceId: sequence.id, why, at: now });
}

/** Merges a snapshot: the newer view of one browser wins, but never loses activity or orders seen. */
function absorb(state: PersonState, browser: Browser): void {
  const known = state.browsers[browser.aid];
  const orders = new Map([...(known?.orders ?? []), ...browser.orders].map((o) => [o.orderId, o]));
  const moments = new Map([...(known?.moments ?? []), ...browser.moments].map((m) => [`${m.at}:${m.kind}:${m.code ?? ""}`, m]));
  state.browsers[browser.aid] = {
    ...browser,
    points: browser.points.length || !known ? browser.points.slice(-KEEP_POINTS) : known.points,
    lastActivity: Math.max(known?.lastActivity ?? 0, browser.lastActivity),
    checkoutAt: Math.max(known?.checkoutAt ?? 0, browser.checkoutAt ?? 0) || undefined,
    moments: [...moments.values()].sort((a, b) => a.at - b.at).slice(-KEEP_MOMENTS),
    orders: [...orders.values()].sort((a, b) => a.at - b.at).slice(-KEEP_ORDERS),
    locale: browser.locale ?? known?.locale,
    timeZone: browser.timeZone ?? known?.timeZone,
    // A snapshot from D1 says (null: none, or withdrawn); only a stub, opened on a link, does not.
    sms: browser.sms === undefined ? known?.sms : browser.sms,
    lines: browser.points.length || !known ? browser.lines : known.lines,
    excluded: browser.excluded ?? known?.excluded,
    customer: browser.customer ?? known?.customer,
  };
}

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** When the object must look again. */
function nextAlarm(state: PersonState, settings: SiteSettings, now: number): number | null {
  const active = activeSequence(state);
  if (active) {
    const at = dueAt(state, active, active.step, settings);
    return Number.isFinite(at) ? at : null;
  }
  const bounds = boundaries(state);
  const intent = intentOf(bounds);
  if (hasSequence(state, bounds, intent)) return null;
  if (!liveCarts(state, intent, now).length) return null;
  return Math.max(now, lastActivityOf(state) + quietMs(settings));
}

/** Starts the intent's one sequence, when a live cart has gone quiet and no cap refuses it. */
function maybeStart(state: PersonState, settings: SiteSettings, now: number, facts: Facts, effects: Effect[]): void {
  const bounds = boundaries(state);
  const intent = intentOf(bounds);
  if (hasSequence(state, bounds, intent)) return;
  const carts = liveCarts(state, intent, now);
  const cart = carts[0];
  const lastActivity = lastActivityOf(state);
  // The latest activity on any device: a shopper busy on their phone has not abandoned.
  if (!cart || lastActivity + quietMs(settings) > now || !reachable(state, settings, {})) return;
  state.starts = state.starts.filter((t) => t > now - DAY_MS);
  state.sends = state.sends.filter((t) => t > now - 30 * DAY_MS);
  const refused =
    state.starts.length >= settings.maxSequencesPerDay ||
    state.sends.length >= settings.maxEmailsPer30Days ||
    facts.suppressed ||
    facts.phoneStopped ||
    state.suppressed ||
    facts.siteSentToday >= settings.maxEmailsPerDay ||
    // The merchant suppressed the address and no other channel of the steps is left: refused,
    // not looked at again at every alarm.
    (Boolean(facts.emailSuppressed) && !reachable(state, settings, facts));
  const moments = Object.values(state.browsers).flatMap((b) => b.moments.filter((m) => m.at > intent));
  const checkoutStarted = Object.values(state.browsers).some((b) => (b.checkoutAt ?? 0) > intent);
  const detectedAt = lastActivity + quietMs(settings);
  const sequence: Sequence = {
    id: facts.newId,
    aid: cart.aid,
    intent,
    basedOn: lastActivity,
    detectedAt,
    reason: deriveReason(moments, { exitAt: lastActivity, checkoutStarted }),
    value: cart.points.at(-1)?.value ?? 0,
    currency: cart.currency,
    step: 0,
    // The holdout gets no message; its natural recovery is counted from the abandonment.
    status: facts.holdout ? "holdout" : "active",
    touches: facts.holdout ? [detectedAt] : [],
    sent: [],
  };
  // Before the caps and the holdout: an excluded cart is in neither arm of the lift, and counted
  // as excluded (rollups.ts), never as abandoned. Decided once per intent, like a refusal.
  const said = shopSaid(Object.values(state.browsers));
  const excluded = exclusionOf(
    { value: sequence.value, currency: sequence.currency, lines: cart.lines ?? [] },
    { excluded: Boolean(facts.listed) || said.excluded, customer: said.customer || ordersOf(state).length > 0 },
    settings,
  );
  if (excluded) {
    const record: Sequence = { ...sequence, status: "excluded", excluded, touches: [] };
    state.sequences = [...state.sequences, record].slice(-KEEP_SEQUENCES);
    effects.push({ do: "start", sequence: { ...record }, at: now });
    return;
  }
  if (refused) {
    // A cap that refuses a sequence refuses it for this intent: remembered, not retried.
    const refusal: Sequence = { ...sequence, status: "stopped", stopReason: "site_cap" };
    state.sequences = [...state.sequences, refusal].slice(-KEEP_SEQUENCES);
    return;
  }
  state.starts.push(now);
  state.sequences = [...state.sequences, sequence].slice(-KEEP_SEQUENCES);
  effects.push({ do: "start", sequence: { ...sequence }, at: now });
  if (settings.notifyEmail) effects.push({ do: "notify_merchant", sequenceId: sequence.id });
}

/**
 * Takes in what a phone-keyed person handed over (their sequences about browsers that now give
 * this email): one sequence per intent still, so a handed sequence whose intent already has one
 * here, or that would run beside an active one, is stopped as `merged`; the caps count both.
 */
function adopt(state: PersonState, input: Handed, now: number, effects: Effect[]): void {
  const bounds = boundaries(state);
  for (const handed of input.sequences) {
    if (state.sequences.some((s) => s.id === handed.id)) continue;
    const sequence: Sequence = { ...handed, movedTo: undefined };
    if (sequence.status === "moved") sequence.status = "active";
    const intent = intentAt(bounds, sequence.basedOn)?.at ?? 0;
    if (sequence.status === "active" && (activeSequence(state) || hasSequence(state, bounds, intent)))
      stop(sequence, "merged", now, effects);
    state.sequences = [...state.sequences, sequence].sort((a, b) => a.detectedAt - b.detectedAt).slice(-KEEP_SEQUENCES);
  }
  state.starts = [...new Set([...state.starts, ...input.starts])].sort((a, b) => a - b);
  state.sends = [...new Set([...state.sends, ...input.sends])].sort((a, b) => a - b);
  const known = new Set(ordersOf(state).map((o) => o.orderId));
  state.orders = [...state.orders, ...(input.orders ?? []).filter((o) => !known.has(o.orderId))].slice(-KEEP_ORDERS);
  if (input.activity) state.elsewhere = Math.max(state.elsewhere ?? 0, input.activity);
}

/**
 * What a phone-keyed person gives the person an email makes them, once a browser that consented
 * with the number gives that email: the browsers now theirs and every sequence about one of them
 * (kept here as `moved`, so a job claimed before is sent on). Its caps go along when nothing of
 * the phone-keyed person is left, and stay otherwise (another device that gave only the number).
 * Nothing of another browser goes: a number typed on someone else's page must not hand their cart
 * to the email typed beside it.
 *
 * @example
 * const { state, handed } = handOver(phonePerson, ["aid1"], "ana@example.com");
 */
export function handOver(person: PersonState, aids: string[], to: string): { state: PersonState; handed: Handed } {
  const state = structuredClone(person);
  const moving = state.sequences.filter((s) => aids.includes(s.aid) && s.status !== "moved");
  for (const s of moving) {
    s.status = "moved";
    s.movedTo = to;
  }
  for (const aid of aids) delete state.browsers[aid];
  const whole = Object.keys(state.browsers).length === 0;
  const handed = {
    sequences: structuredClone(moving).map((s) => ({ ...s, status: person.sequences.find((p) => p.id === s.id)?.status ?? "active" })),
    starts: whole ? state.starts : [],
    sends: whole ? state.sends : [],
    // All of them, the devices that stay here included: whoever paid with this number paid.
    orders: ordersOf(person),
    activity: lastActivityOf(state),
  };
  if (whole) {
    state.starts = [];
    state.sends = [];
  }
  return { state, handed };
}

/**
 * The one place recovery is decided. Returns the new state (the input is not changed), what to
 * do, when to look again and, for `confirm`, whether the message may go.
 *
 * @example
 * const { state, effects, alarm } = decide(person, settings, Date.now(), { type: "alarm" }, facts);
 */
export function decide(person: PersonState, settings: SiteSettings, now: number, input: Input, facts: Facts): Decision {
  const state = structuredClone(person);
  const effects: Effect[] = [];
  let verdict: Verdict | undefined;
  const before = new Set(ordersOf(state).map((o) => o.orderId));
  switch (input.type) {
    case "browsers":
      if (input.name) state.name = input.name;
      for (const b of input.browsers) absorb(state, b);
      if (input.adopt) adopt(state, input.adopt, now, effects);
      break;
    case "order":
      if (!before.has(input.order.orderId)) state.orders = [...state.orders, input.order].slice(-KEEP_ORDERS);
      break;
    case "opened": {
      const sequence = state.sequences.find((s) => s.id === input.sequenceId);
      if (sequence && sequence.status !== "holdout" && !sequence.touches.includes(input.at)) touch(sequence, input.at);
      // Opening the link is activity on that browser: the person came back.
      absorb(
        state,
        input.browser ?? { aid: input.aid, points: [], currency: "EUR", expiresAt: 0, lastActivity: 0, moments: [], orders: [] },
      );
      const b = state.browsers[input.aid] as Browser;
      b.lastActivity = Math.max(b.lastActivity, input.at);
      break;
    }
    case "sent": {
      state.unconfirmed = settled(state.unconfirmed, input.messageId);
      const sequence = state.sequences.find((s) => input.messageId.startsWith(`${s.id}-`));
      if (sequence && sequence.status !== "moved" && !sequence.sent.includes(input.messageId)) {
        sequence.sent.push(input.messageId);
        touch(sequence, input.at);
        state.sends.push(input.at);
      }
      break;
    }
    case "unsubscribed":
      state.suppressed = true;
      break;
    case "activity":
      state.elsewhere = Math.max(state.elsewhere ?? 0, input.at);
      break;
    case "alarm":
    case "confirm":
      break;
  }
  // New orders are credited before they stop anything, so the sequence they end gets its due.
  for (const order of ordersOf(state)) if (!before.has(order.orderId)) credit(state, order, settings, effects);

  const active = activeSequence(state);
  const checked = input.type === "confirm" || input.type === "alarm";
  const why = active && stopReason(state, active, now, checked ? facts.suppressed || Boolean(facts.phoneStopped) : false);
  if (active && why) stop(active, why, now, effects);

  if (input.type === "confirm") {
    const sequence = state.sequences.find((s) => input.messageId.startsWith(`${s.id}-`));
    // A completed sequence's last message may still be waiting: it is checked like any other.
    const late =
      sequence?.status === "completed" ? stopReason(state, sequence, now, facts.suppressed || Boolean(facts.phoneStopped)) : undefined;
    if (sequence && late) stop(sequence, late, now, effects);
    const phone = phoneOf(state);
    if (!sequence || sequence.status === "holdout") verdict = { send: false, why: "unknown" };
    else if (sequence.status === "excluded") verdict = { send: false, why: "excluded" };
    else if (sequence.status === "moved" && sequence.movedTo) verdict = { send: false, why: "moved", movedTo: sequence.movedTo };
    else if (sequence.status === "stopped") verdict = { send: false, why: sequence.stopReason ?? "unknown" };
    // A text needs a number that may still be texted: a withdrawal or a STOP since the claim ends it.
    else if (input.channel === "sms" && (!phone || facts.phoneSuppressed)) verdict = { send: false, why: "unreachable" };
    else if (input.channel !== "sms" && (isPhoneKey(state.email) || facts.emailSuppressed)) verdict = { send: false, why: "unreachable" };
    else {
      const step = Number(input.messageId.slice(sequence.id.length + 1));
      const live = liveCarts(state, intentAt(boundaries(state), sequence.basedOn)?.at ?? 0, now);
      verdict = {
        send: true,
        // The cart it was about, or the person's freshest live cart if that one was emptied.
        aid: live.find((b) => b.aid === sequence.aid)?.aid ?? live[0]?.aid ?? sequence.aid,
        reason: sequence.reason,
        step,
        name: state.name,
        ...whereabouts(state),
        ...(input.channel === "sms" && { phone }),
      };
    }
    // Refused for good: the consumer cancels it, so there is nothing left to rescue. A message
    // moved to another person may still go: this object waits for its `sent` as before.
    if (!verdict.send && verdict.why !== "moved") state.unconfirmed = settled(state.unconfirmed, input.messageId);
  }

  if (input.type === "alarm") {
    const rescued = rescue(state.unconfirmed, now, facts.claims ?? {});
    state.unconfirmed = rescued.list;
    for (const claim of rescued.requeue) effects.push({ do: "requeue", claim, at: now });
    if (!activeSequence(state)) maybeStart(state, settings, now, facts, effects);
    const sequence = activeSequence(state);
    // Steps that cannot reach the person (no email, no number, a suppressed number) are passed over.
    while (sequence?.status === "active" && now >= dueAt(state, sequence, sequence.step, settings)) {
      const step = sequence.step;
      const channel = channelOf(state, settings.steps[step]?.channel ?? "email", facts.phoneSuppressed, facts.emailSuppressed);
      if (channel && facts.siteSentToday >= settings.maxEmailsPerDay) {
        stop(sequence, "site_cap", now, effects);
        break;
      }
      if (channel) {
        const claim: Claim = {
          id: `${sequence.id}-${step}`,
          sequenceId: sequence.id,
          step,
          template: templateOf(sequence.reason),
          dueAt: dueAt(state, sequence, step, settings),
          abandonedAt: sequence.basedOn,
          channel,
          ...(channel === "sms" && { phone: phoneOf(state) }),
        };
        effects.push({ do: "claim", at: now, claim });
        state.unconfirmed = awaitSent(state.unconfirmed, claim, now);
      }
      sequence.step = step + 1;
      if (sequence.step >= settings.steps.length) {
        sequence.status = "completed";
        effects.push({ do: "complete", sequenceId: sequence.id });
      }
      // One message per alarm: the next step is looked at on the next one.
      if (channel) break;
    }
  }
  return { state, effects, alarm: earliest(nextAlarm(state, settings, now), nextRescue(state.unconfirmed)), verdict };
}
