import { DurableObject } from "cloudflare:workers";
import { normalEmail } from "../../protocol/email";
import { DAY_MS } from "../../protocol/limits";
import { audienceFacts } from "../db/audience";
import { claimMessage, claimStates, completeSequence, creditSequence, recoverySentSince, startSequence, stopSequence } from "../db/ledger";
import { emailsWithPhone, moveSequences, phoneSuppression } from "../db/sms";
import type { MailJob } from "../mail/job";
import type { SiteSettings } from "../sites/settings";
import { siteById } from "../sites/sites";
import { sendWebhook } from "../webhooks/send";
import {
  type Browser,
  type Channel,
  type Claim,
  type Decision,
  decide,
  type Effect,
  type Facts,
  type Handed,
  handOver,
  type Input,
  isPhoneKey,
  lastActivityOf,
  newPerson,
  ordersOf,
  type PaidOrder,
  type PersonState,
  PHONE_KEY,
  phoneOf,
  type Sequence,
  type Verdict,
} from "./person";
import { dueForRescue } from "./rescue";

export type { StopReason, Verdict } from "./person";

/** Effects are retried this soon when a call died before carrying them all out. */
const RETRY_MS = 30_000;

interface Stored {
  person: PersonState;
  /** Effects decided but not yet known to be carried out: a crash leaves them here for the alarm. */
  todo: Effect[];
}

/**
 * One person (a site and a normalised email address) with every browser tied to them: their
 * carts, their purchase intents, and at most one recovery sequence per intent. Each call loads
 * the state, asks `decide` (person.ts) what to do, saves, then carries the effects out; one call
 * at a time, so two tabs, three failed payments or a redelivered batch cannot race each other.
 * The alarm is the clock: it fires when the cart goes quiet and at each step.
 */
export class Shopper extends DurableObject<Env> {
  // Storage calls hold the input gate, D1 and queue calls do not: two calls of one ingest chunk
  // would both load the state, and the later save would drop the other's browser. Every entry
  // point takes its turn here instead.
  private turn: Promise<unknown> = Promise.resolve();

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work, work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** New or changed browsers of this person (snapshots read from D1 after their events were stored). */
  observe(site: number, email: string, browsers: Browser[], name?: string, adopt?: Handed): Promise<void> {
    return this.run(site, email, { type: "browsers", browsers, name, adopt }).then(() => undefined);
  }

  /** A paid order: from the shop's server, a platform webhook, or a browser's purchase before its batch is stored. */
  order(site: number, email: string, order: PaidOrder, aid?: string): Promise<void> {
    return this.run(site, email, { type: "order", order, aid }).then(() => undefined);
  }

  /** A person (a real input event on the shop's page) opened a recovery link on this browser. */
  opened(site: number, email: string, sequenceId: string, aid: string, at: number, browser?: Browser): Promise<void> {
    return this.run(site, email, { type: "opened", sequenceId, aid, at, browser }).then(() => undefined);
  }

  /**
   * Asked by the mail consumer right before it hands a message to the provider: is it still
   * wanted? A purchase, a return, an emptied or expired cart, an unsubscribe stop it here.
   */
  async confirm(messageId: string, channel: Channel = "email"): Promise<Verdict> {
    const decision = await this.run(undefined, undefined, { type: "confirm", messageId, channel });
    const verdict = decision?.verdict ?? { send: false, why: "unknown" };
    // Claimed before the shopper gave their email: the person it went to answers for it now.
    if (!verdict.send && verdict.why === "moved")
      return personStub(this.env, decision?.state.site ?? 0, verdict.movedTo).confirm(messageId, channel);
    return verdict;
  }

  /** The provider took the message: the attribution window opens now. */
  async sent(messageId: string, at: number): Promise<void> {
    const decision = await this.run(undefined, undefined, { type: "sent", messageId, at });
    const moved = decision?.state.sequences.find((s) => messageId.startsWith(`${s.id}-`) && s.status === "moved");
    if (moved?.movedTo) await personStub(this.env, decision?.state.site ?? 0, moved.movedTo).sent(messageId, at);
  }

  /**
   * A browser that consented with this (phone-keyed) person's number gave an email: its
   * sequences go to that person (person.ts `handOver`), so the same intent gets no second one.
   * Undefined when there is no such person, or nothing to hand.
   */
  handOver(aids: string[], to: string): Promise<Handed | undefined> {
    return this.serially(async () => {
      const stored = await this.load();
      if (!stored) return undefined;
      // A browser that gave the number and the email together was never this person's: it takes
      // only what this person knows the shopper bought (on the device that gave only the number).
      if (!aids.some((aid) => stored.person.browsers[aid]))
        return { sequences: [], starts: [], sends: [], orders: ordersOf(stored.person), activity: lastActivityOf(stored.person) };
      const { state, handed } = handOver(stored.person, aids, to);
      await moveSequences(
        this.env.DB,
        handed.sequences.map((s) => s.id),
        to,
      );
      await this.ctx.storage.put("person", state);
      // A claim still unconfirmed keeps the alarm: it is this object's to queue again.
      if (!state.sequences.some((s) => s.status === "active") && !Object.keys(state.browsers).length && !state.unconfirmed?.length)
        await this.ctx.storage.deleteAlarm();
      return handed;
    });
  }

  /** The shopper was active on a device that gave only their number (shopper.ts `tellEmails`). */
  activity(at: number): Promise<void> {
    return this.run(undefined, undefined, { type: "activity", at }).then(() => undefined);
  }

  /** The address unsubscribed: stop now rather than at the next send. */
  unsubscribed(): Promise<void> {
    return this.run(undefined, undefined, { type: "unsubscribed" }).then(() => undefined);
  }

  /** Erasure (a shopper's right to be forgotten): everything this object holds about them goes. */
  erase(): Promise<void> {
    return this.serially(async () => {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
    });
  }

  override alarm(): Promise<void> {
    return this.run(undefined, undefined, { type: "alarm" }).then(() => undefined);
  }

  /**
   * A phone-keyed person tells the person of every email a browser gave beside this number what it
   * learnt just now: an order, or activity. The shopper who gave only the number on the device
   * they paid or came back on gave the email on another, whose cart must get nothing now. Each
   * order is taken once there; activity only moves forward.
   */
  private async tellEmails(before: PersonState, after: PersonState): Promise<void> {
    if (!isPhoneKey(after.email)) return;
    const known = new Set(ordersOf(before).map((o) => o.orderId));
    const fresh = ordersOf(after).filter((o) => !known.has(o.orderId));
    const active = lastActivityOf(after) > lastActivityOf(before) ? lastActivityOf(after) : undefined;
    if (!fresh.length && !active) return;
    for (const found of await emailsWithPhone(this.env.DB, after.site, after.email.slice(PHONE_KEY.length))) {
      const email = normalEmail(found);
      const to = personStub(this.env, after.site, email);
      for (const order of fresh) await to.order(after.site, email, order);
      if (active) await to.activity(active);
    }
  }

  /** Load → decide → save → carry out → save. Without a site, only an existing person is acted on. */
  private run(site: number | undefined, email: string | undefined, input: Input): Promise<Decision | undefined> {
    return this.serially(async () => {
      const stored = await this.load();
      if (!stored && (site === undefined || email === undefined)) return undefined;
      const person = stored?.person ?? newPerson(site as number, normalEmail(email as string));
      const settings = await this.settingsOf(person.site, input.type === "alarm");
      if (!settings) return undefined; // the site is gone: nothing to send for it
      const now = Date.now();
      const decision = decide(person, settings, now, input, await this.facts(person, settings, now, input));
      const todo = [...(stored?.todo ?? []), ...decision.effects];
      await this.ctx.storage.put({ person: decision.state, todo });
      if (todo.length) await this.ctx.storage.setAlarm(now + RETRY_MS);
      await this.carryOut(decision.state, settings, todo);
      await this.ctx.storage.put("todo", []);
      await this.tellEmails(person, decision.state);
      if (decision.alarm !== null) await this.ctx.storage.setAlarm(decision.alarm);
      else await this.ctx.storage.deleteAlarm();
      return decision;
    });
  }

  // One person's object hears from one site; its settings change rarely, so it keeps them a
  // minute rather than reading D1 on every observation (an alarm reads them fresh).
  private site?: { settings: SiteSettings | undefined; until: number };

  private async settingsOf(site: number, fresh = false): Promise<SiteSettings | undefined> {
    if (!fresh && this.site && this.site.until > Date.now()) return this.site.settings;
    const settings = (await siteById(this.env.DB, site))?.settings;
    this.site = { settings, until: Date.now() + 60_000 };
    return settings;
  }

  private async load(): Promise<Stored | undefined> {
    const got = await this.ctx.storage.get<unknown>(["person", "todo", "state"]);
    const person = got.get("person") as PersonState | undefined;
    // Objects made before addresses had one form keep the casing they first saw.
    if (person) return { person: { ...person, email: normalEmail(person.email) }, todo: (got.get("todo") as Effect[] | undefined) ?? [] };
    const legacy = got.get("state") as Legacy | undefined;
    return legacy ? { person: fromLegacy(legacy), todo: [] } : undefined;
  }

  /** What D1 knows that `decide` may need: only the alarm and the last check ask. */
  private async facts(person: PersonState, settings: SiteSettings, now: number, input: Input): Promise<Facts> {
    const facts: Facts = { suppressed: false, siteSentToday: 0, holdout: false, newId: crypto.randomUUID() };
    if (input.type !== "alarm" && input.type !== "confirm") return facts;
    const { source, listed } = await audienceFacts(this.env.DB, person.site, person.email);
    // The merchant's suppression closes email only; the shopper's own opt-out (or a provider's word) stops everything.
    facts.suppressed = !isPhoneKey(person.email) && source !== null && source !== "merchant";
    facts.emailSuppressed = !isPhoneKey(person.email) && source === "merchant";
    facts.listed = listed;
    const phone = phoneOf(person);
    const why = phone ? await phoneSuppression(this.env.DB, person.site, phone) : null;
    facts.phoneSuppressed = why !== null;
    facts.phoneStopped = why === "stop";
    if (input.type !== "alarm") return facts;
    facts.siteSentToday = await recoverySentSince(this.env.DB, person.site, now - DAY_MS);
    const due = dueForRescue(person.unconfirmed, now);
    if (due.length) facts.claims = await claimStates(this.env.DB, due);
    facts.holdout = await inHoldout(person.site, person.email, settings.holdoutPercent);
    return facts;
  }

  /** Writes a claim (a rescue too, should the first write have died) and hands its job to the mail queue. */
  private async queueClaim({ site, email }: PersonState, claim: Claim, at: number): Promise<void> {
    await claimMessage(this.env.DB, site, email, claim, at);
    const job: MailJob = { kind: claim.channel === "sms" ? "sms" : "recovery", id: claim.id, site, email };
    await this.env.MAIL.send(job, { contentType: "json" });
  }

  /** Carries out each effect; every one is idempotent, so a retry after a crash repeats none. */
  private async carryOut(person: PersonState, settings: SiteSettings, effects: Effect[]): Promise<void> {
    const db = this.env.DB;
    const { site, email } = person;
    for (const effect of effects) {
      switch (effect.do) {
        case "start":
          await startSequence(db, site, email, effect.sequence, effect.at);
          // An excluded cart is the shop's own "no recovery": nothing goes out about it.
          if (effect.sequence.status === "excluded") break;
          await sendWebhook(
            this.env,
            site,
            settings,
            "abandonment",
            abandonmentPayload(person, effect.sequence),
            `${effect.sequence.id}-abandonment`,
          );
          break;
        case "stop":
          await stopSequence(db, effect.sequenceId, effect.why, effect.at);
          break;
        case "complete":
          await completeSequence(db, effect.sequenceId);
          break;
        case "claim":
          await this.queueClaim(person, effect.claim, effect.at);
          break;
        case "requeue":
          await this.queueClaim(person, effect.claim, effect.at);
          break;
        case "notify_merchant":
          if (settings.notifyEmail) {
            const job: MailJob = {
              kind: "merchant_notice",
              id: `${effect.sequenceId}-notice`,
              site,
              email: settings.notifyEmail,
              about: isPhoneKey(email) ? email.slice(4) : email,
            };
            await this.env.MAIL.send(job, { contentType: "json" });
          }
          break;
        case "credit":
          if (await creditSequence(db, effect.sequenceId, effect.order)) {
            const { orderId, total } = effect.order;
            await sendWebhook(
              this.env,
              site,
              settings,
              "recovery",
              { sequenceId: effect.sequenceId, ...contactOf(person), orderId, total },
              `${effect.sequenceId}-recovery`,
            );
          }
          break;
      }
    }
  }
}

/** Who a webhook is about: the email, and the number when the shopper consented to texts. */
const contactOf = (person: PersonState) => {
  const phone = phoneOf(person);
  return { ...(!isPhoneKey(person.email) && { email: person.email }), ...(phone && { phone }) };
};

const abandonmentPayload = (person: PersonState, s: Sequence) => ({
  sequenceId: s.id,
  ...contactOf(person),
  reason: s.reason,
  value: s.value,
  currency: s.currency,
  abandonedAt: s.basedOn,
  holdout: s.status === "holdout",
});

/** The state objects kept before the person model (one cart per browser, a counter of intents). */
interface Legacy {
  site: number;
  email: string;
  name?: string;
  carts: Record<
    string,
    { aid: string; status: string; value: number; currency: string; expiresAt: number; lastActivity: number; moments: Browser["moments"] }
  >;
  sequences: (Omit<Sequence, "touches" | "sent" | "intent" | "value" | "currency"> & { touchedAt?: number })[];
  starts: number[];
  sends: number[];
}

/** Reads an object saved before the person model, so live sequences carry on after a deploy. */
function fromLegacy(old: Legacy): PersonState {
  const person = newPerson(old.site, normalEmail(old.email));
  person.name = old.name;
  for (const c of Object.values(old.carts ?? {})) {
    person.browsers[c.aid] = {
      aid: c.aid,
      points: [{ at: c.lastActivity, value: c.status === "active" ? c.value : 0 }],
      currency: c.currency,
      expiresAt: c.expiresAt,
      lastActivity: c.lastActivity,
      moments: c.moments ?? [],
      orders: [],
    };
  }
  person.sequences = (old.sequences ?? []).map(({ touchedAt, ...s }) => ({
    ...s,
    intent: 0,
    value: 0,
    currency: "EUR",
    touches: touchedAt ? [touchedAt] : [],
    sent: [],
  }));
  person.starts = old.starts ?? [];
  person.sends = old.sends ?? [];
  return person;
}

/**
 * Whether a shopper is in the site's holdout: a stable hash of site and email, so the same person
 * stays in the same group, and a share of `percent` of all shoppers is held out.
 *
 * @example
 * await inHoldout(1, "ana@example.com", 5); // true for about 1 address in 20, always the same ones
 */
export async function inHoldout(site: number, email: string, percent: number): Promise<boolean> {
  if (percent <= 0) return false;
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`holdout:${site}:${normalEmail(email)}`));
  return new DataView(hash).getUint32(0) % 10_000 < percent * 100;
}

/** The Durable Object of the person with this email on this site. */
export function shopperStub(env: Env, site: number, email: string): DurableObjectStub<Shopper> {
  const namespace = env.SHOPPER as unknown as DurableObjectNamespace<Shopper>;
  return namespace.get(namespace.idFromName(`${site}:${normalEmail(email)}`));
}

/**
 * The Durable Object of a person by their key: an email, or `tel:` and the number of a shopper
 * who gave only a phone (person.ts `PHONE_KEY`).
 *
 * @example
 * personStub(env, site.id, "tel:+34600111222");
 */
export const personStub = (env: Env, site: number, key: string): DurableObjectStub<Shopper> => shopperStub(env, site, key);
