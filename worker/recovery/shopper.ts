import { DurableObject } from "cloudflare:workers";
import type { MailJob } from "../mail/job";
import type { SiteSettings } from "../sites/settings";
import { siteById } from "../sites/sites";
import { sendWebhook } from "../webhooks/send";
import { deriveReason, type Moment, type StallReason, templateOf } from "./reasons";

const MINUTE = 60_000;
const DAY = 86_400_000;
const KEEP_SEQUENCES = 10;

/** What the ingest consumer tells a shopper's object after storing a batch. */
export interface Observation {
  site: number;
  email: string;
  /** The browser the events came from; absent for a server-side order. */
  aid?: string;
  name?: string;
  /** The latest event time in the batch (collector clock): the shopper was active then. */
  activityAt: number;
  /** The cart as stored after the batch. */
  cart?: { status: "active" | "empty" | "purchased"; value: number; currency: string; expiresAt: number };
  purchase?: { orderId: string; total: number; at: number };
  moments?: Moment[];
  /** When checkout was started, if the batch says so. */
  checkoutAt?: number;
}

/** Moments kept per cart: enough for the reason window, bounded whatever a page sends. */
const KEEP_MOMENTS = 50;

interface CartState {
  aid: string;
  status: "active" | "empty" | "purchased";
  value: number;
  currency: string;
  expiresAt: number;
  lastActivity: number;
  moments: Moment[];
  checkoutAt?: number;
}

type SequenceStatus = "active" | "completed" | "stopped" | "holdout";

interface SequenceState {
  id: string;
  aid: string;
  intent: number;
  /** The last activity the abandonment was measured from: anything later means the shopper came back. */
  basedOn: number;
  /** When the threshold passed; steps are timed from here. */
  detectedAt: number;
  reason: StallReason;
  /** The next step to claim. */
  step: number;
  status: SequenceStatus;
  stopReason?: StopReason;
  /** The latest send or click: the start of the attribution window. */
  touchedAt?: number;
}

export type StopReason = "purchased" | "returned" | "emptied" | "unsubscribed" | "expired" | "site_cap";

interface State {
  site: number;
  email: string;
  name?: string;
  carts: Record<string, CartState>;
  /** Bumps when a purchase or an emptied cart ends a purchase intent. */
  intent: number;
  /** The last intent that had its one sequence (or was refused one by a cap). */
  sequencedIntent: number;
  sequences: SequenceState[];
  /** Sequence starts and sends, for the per-address caps. */
  starts: number[];
  sends: number[];
  /** A message claimed but not yet known to be on the mail queue: re-queued by the next alarm. */
  pending?: MailJob;
}

export type Verdict =
  | { send: true; aid: string; reason: StallReason; step: number; name?: string }
  | { send: false; why: StopReason | "unknown" };

/**
 * One shopper (a site and an email address): all their carts, their purchase intent, and at most
 * one recovery sequence per intent. Everything about when to write to them happens here, one
 * call at a time, so two tabs, three failed payments or a redelivered batch cannot race each other
 * into a second sequence. The alarm is the clock: it fires when the cart goes quiet and at each step.
 */
export class Shopper extends DurableObject<Env> {
  // Storage calls hold the input gate, D1 and queue calls do not: two observations of one ingest
  // chunk (two tabs of one shopper) would both load the state, and the later save would drop the
  // other's cart. Every entry point takes its turn here instead.
  private turn: Promise<unknown> = Promise.resolve();

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work, work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async load(): Promise<State | undefined> {
    return this.ctx.storage.get<State>("state");
  }

  private async save(state: State): Promise<void> {
    await this.ctx.storage.put("state", state);
  }

  private settings(site: number): Promise<SiteSettings> {
    return siteById(this.env.DB, site).then((s) => {
      if (!s) throw new Error(`site ${site} is gone`);
      return s.settings;
    });
  }

  /** New activity from one of the shopper's browsers, or an order from the shop's server. */
  observe(o: Observation): Promise<void> {
    return this.serially(async () => {
      const state = (await this.load()) ?? {
        site: o.site,
        email: o.email,
        carts: {},
        intent: 0,
        sequencedIntent: -1,
        sequences: [],
        starts: [],
        sends: [],
      };
      if (o.name) state.name = o.name;
      const settings = await this.settings(o.site);
      const touched = o.aid ? [this.cartOf(state, o.aid)] : Object.values(state.carts);
      for (const cart of touched) {
        if (o.cart)
          Object.assign(cart, { status: o.cart.status, value: o.cart.value, currency: o.cart.currency, expiresAt: o.cart.expiresAt });
        cart.lastActivity = Math.max(cart.lastActivity, o.activityAt);
        if (o.checkoutAt) cart.checkoutAt = Math.max(cart.checkoutAt ?? 0, o.checkoutAt);
        if (o.moments?.length) cart.moments = [...cart.moments, ...o.moments].sort((a, b) => a.at - b.at).slice(-KEEP_MOMENTS);
        if (o.purchase) cart.status = "purchased";
      }
      const active = this.activeSequence(state);
      if (o.purchase) {
        await this.attribute(state, o.purchase, settings);
        state.intent++;
        if (active) await this.stop(active, "purchased");
      } else if (o.cart?.status === "empty") {
        state.intent++;
        if (active && active.aid === o.aid) await this.stop(active, "emptied");
      } else if (active && o.activityAt > active.basedOn) {
        await this.stop(active, "returned");
      }
      await this.save(state);
      await this.schedule(state, settings);
    });
  }

  /** The recovery link was clicked: the attribution window restarts from the click. */
  clicked(sequenceId: string, at: number): Promise<void> {
    return this.serially(async () => {
      const state = await this.load();
      const sequence = state?.sequences.find((s) => s.id === sequenceId);
      if (!state || !sequence) return;
      sequence.touchedAt = Math.max(sequence.touchedAt ?? 0, at);
      await this.save(state);
    });
  }

  /**
   * Asked by the mail consumer right before it sends: is this message still wanted? Checks live
   * state (a purchase, a return, an emptied or expired cart, an unsubscribe) and stops the
   * sequence if not.
   */
  confirm(messageId: string): Promise<Verdict> {
    return this.serially(async () => {
      const state = await this.load();
      const sequence = state?.sequences.find((s) => messageId.startsWith(`${s.id}-`));
      if (!state || !sequence) return { send: false, why: "unknown" };
      if (sequence.status === "stopped") return { send: false, why: sequence.stopReason ?? "unknown" };
      const why = await this.stopReason(state, sequence);
      if (why) {
        await this.stop(sequence, why);
        await this.save(state);
        return { send: false, why };
      }
      return {
        send: true,
        aid: sequence.aid,
        reason: sequence.reason,
        step: Number(messageId.slice(sequence.id.length + 1)),
        name: state.name,
      };
    });
  }

  /** The address unsubscribed: stop now rather than at the next send. */
  unsubscribed(): Promise<void> {
    return this.serially(async () => {
      const state = await this.load();
      const active = state && this.activeSequence(state);
      if (!state || !active) return;
      await this.stop(active, "unsubscribed");
      await this.save(state);
    });
  }

  /** Erasure (a shopper's right to be forgotten): everything this object holds about them goes. */
  erase(): Promise<void> {
    return this.serially(async () => {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
    });
  }

  override alarm(): Promise<void> {
    return this.serially(async () => {
      const state = await this.load();
      if (!state) return;
      const settings = await this.settings(state.site);
      if (state.pending) await this.enqueue(state, state.pending); // a claim that did not reach the queue
      const now = Date.now();
      let sequence = this.activeSequence(state);
      if (!sequence) sequence = await this.maybeStart(state, settings, now);
      if (sequence?.status === "active") {
        const why = await this.stopReason(state, sequence);
        if (why) await this.stop(sequence, why);
        else if (now >= this.dueAt(sequence, sequence.step, settings)) {
          if (await this.siteOverCap(state, settings, now)) await this.stop(sequence, "site_cap");
          else await this.claim(state, sequence, settings, now);
        }
      }
      await this.save(state);
      await this.schedule(state, settings);
    });
  }

  private cartOf(state: State, aid: string): CartState {
    state.carts[aid] ??= {
      aid,
      status: "active",
      value: 0,
      currency: "EUR",
      expiresAt: 0,
      lastActivity: 0,
      moments: [],
    };
    return state.carts[aid];
  }

  private activeSequence(state: State): SequenceState | undefined {
    const last = state.sequences.at(-1);
    return last?.status === "active" ? last : undefined;
  }

  private abandonedCart(state: State, settings: SiteSettings, now: number): CartState | undefined {
    const quiet = settings.abandonAfterMinutes * MINUTE;
    return Object.values(state.carts)
      .filter((c) => c.status === "active" && c.value > 0 && c.expiresAt > now && c.lastActivity + quiet <= now)
      .sort((a, b) => b.lastActivity - a.lastActivity)[0];
  }

  private async maybeStart(state: State, settings: SiteSettings, now: number): Promise<SequenceState | undefined> {
    if (state.sequencedIntent === state.intent) return;
    const cart = this.abandonedCart(state, settings, now);
    if (!cart) return;
    // The latest activity on any device: a shopper busy on their phone has not abandoned.
    const lastActivity = Math.max(...Object.values(state.carts).map((c) => c.lastActivity));
    if (lastActivity + settings.abandonAfterMinutes * MINUTE > now) return;
    state.sequencedIntent = state.intent;
    state.starts = state.starts.filter((t) => t > now - DAY);
    state.sends = state.sends.filter((t) => t > now - 30 * DAY);
    if (state.starts.length >= settings.maxSequencesPerDay || state.sends.length >= settings.maxEmailsPer30Days) return;
    if (await this.suppressed(state)) return;
    if (await this.siteOverCap(state, settings, now)) return;
    const reason = deriveReason(cart.moments, { exitAt: cart.lastActivity, checkoutStarted: cart.checkoutAt !== undefined });
    const holdout = await inHoldout(state.site, state.email, settings.holdoutPercent);
    const detectedAt = lastActivity + settings.abandonAfterMinutes * MINUTE;
    const sequence: SequenceState = {
      id: crypto.randomUUID(),
      aid: cart.aid,
      intent: state.intent,
      basedOn: lastActivity,
      detectedAt,
      reason,
      step: 0,
      // The holdout gets no message; its natural recovery is counted from the abandonment.
      status: holdout ? "holdout" : "active",
      touchedAt: holdout ? detectedAt : undefined,
    };
    state.starts.push(now);
    state.sequences = [...state.sequences, sequence].slice(-KEEP_SEQUENCES);
    await this.env.DB.prepare(
      `INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
      .bind(
        sequence.id,
        state.site,
        state.email,
        cart.aid,
        lastActivity,
        now,
        cart.value,
        cart.currency,
        reason,
        sequence.status,
        holdout ? 1 : 0,
      )
      .run();
    if (settings.notifyEmail) {
      await this.enqueue(state, {
        kind: "merchant_notice",
        id: `${sequence.id}-notice`,
        site: state.site,
        email: settings.notifyEmail,
        about: state.email,
      });
    }
    await sendWebhook(this.env, state.site, settings, "abandonment", {
      sequenceId: sequence.id,
      email: state.email,
      reason,
      value: cart.value,
      currency: cart.currency,
      abandonedAt: lastActivity,
      holdout,
    });
    return sequence;
  }

  private dueAt(sequence: SequenceState, step: number, settings: SiteSettings): number {
    const at = settings.steps[step]?.afterMinutes;
    return at === undefined ? Number.POSITIVE_INFINITY : sequence.detectedAt + at * MINUTE;
  }

  /** Claim first, then queue: a crash in between leaves `pending`, which the next alarm re-queues
   * under the same id; the mail consumer sends an id once. */
  private async claim(state: State, sequence: SequenceState, settings: SiteSettings, now: number): Promise<void> {
    const step = sequence.step;
    const job: MailJob = { kind: "recovery", id: `${sequence.id}-${step}`, site: state.site, email: state.email };
    sequence.step = step + 1;
    sequence.touchedAt = now;
    if (sequence.step >= settings.steps.length) sequence.status = "completed";
    state.sends.push(now);
    state.pending = job;
    await this.save(state);
    await this.env.DB.prepare(
      `INSERT OR IGNORE INTO messages (id, sequence_id, site_id, email, step, kind, template, status, due_at, queued_at, abandoned_at)
       VALUES (?, ?, ?, ?, ?, 'recovery', ?, 'queued', ?, ?, ?)`,
    )
      .bind(
        job.id,
        sequence.id,
        state.site,
        state.email,
        step,
        templateOf(sequence.reason),
        this.dueAt(sequence, step, settings),
        now,
        sequence.basedOn,
      )
      .run();
    if (sequence.status === "completed") {
      await this.env.DB.prepare("UPDATE sequences SET status = 'completed' WHERE id = ? AND status = 'active'").bind(sequence.id).run();
    }
    await this.enqueue(state, job);
  }

  private async enqueue(state: State, job: MailJob): Promise<void> {
    await this.env.MAIL.send(job, { contentType: "json" });
    if (state.pending?.id === job.id) state.pending = undefined;
  }

  private async stopReason(state: State, sequence: SequenceState): Promise<StopReason | undefined> {
    const cart = state.carts[sequence.aid];
    if (cart?.status === "empty") return "emptied";
    if (!cart || cart.status === "purchased" || state.intent !== sequence.intent) return "purchased";
    if (cart.expiresAt <= Date.now()) return "expired";
    if (Object.values(state.carts).some((c) => c.lastActivity > sequence.basedOn)) return "returned";
    if (await this.suppressed(state)) return "unsubscribed";
  }

  private async stop(sequence: SequenceState, why: StopReason): Promise<void> {
    if (sequence.status === "stopped") return;
    sequence.status = "stopped";
    sequence.stopReason = why;
    await this.env.DB.prepare("UPDATE sequences SET status = 'stopped', stop_reason = ?, stopped_at = ? WHERE id = ?")
      .bind(why, Date.now(), sequence.id)
      .run();
  }

  /**
   * The site's own daily cap on recovery email: whatever a page (or a forged request) claims,
   * the collector mails at most this many addresses a day for one site.
   */
  private async siteOverCap(state: State, settings: SiteSettings, now: number): Promise<boolean> {
    const sent = await this.env.DB.prepare("SELECT count(*) AS n FROM messages WHERE site_id = ? AND kind = 'recovery' AND queued_at > ?")
      .bind(state.site, now - DAY)
      .first<number>("n");
    return (sent ?? 0) >= settings.maxEmailsPerDay;
  }

  private async suppressed(state: State): Promise<boolean> {
    const row = await this.env.DB.prepare("SELECT 1 AS yes FROM suppressions WHERE site_id = ? AND email = ?")
      .bind(state.site, state.email)
      .first();
    return row !== null;
  }

  /** A paid order within the attribution window of a send or click recovers that sequence. */
  private async attribute(state: State, purchase: NonNullable<Observation["purchase"]>, settings: SiteSettings): Promise<void> {
    const window = settings.attributionDays * DAY;
    const sequence = [...state.sequences]
      .reverse()
      .find((s) => s.touchedAt !== undefined && purchase.at >= s.touchedAt - MINUTE && purchase.at - s.touchedAt <= window);
    if (!sequence) return;
    const result = await this.env.DB.prepare(
      "UPDATE sequences SET recovered_order_id = ?, recovered_value = ?, recovered_at = ? WHERE id = ? AND recovered_order_id IS NULL",
    )
      .bind(purchase.orderId, purchase.total, purchase.at, sequence.id)
      .run();
    if (result.meta.changes) {
      await sendWebhook(this.env, state.site, settings, "recovery", {
        sequenceId: sequence.id,
        email: state.email,
        orderId: purchase.orderId,
        total: purchase.total,
      });
    }
  }

  private async schedule(state: State, settings: SiteSettings): Promise<void> {
    const times: number[] = [];
    if (state.pending) times.push(Date.now());
    const active = this.activeSequence(state);
    if (active) times.push(this.dueAt(active, active.step, settings));
    else if (state.sequencedIntent !== state.intent) {
      const carts = Object.values(state.carts).filter((c) => c.status === "active" && c.value > 0);
      const lastActivity = Math.max(0, ...Object.values(state.carts).map((c) => c.lastActivity));
      if (carts.length) times.push(lastActivity + settings.abandonAfterMinutes * MINUTE);
    }
    const next = Math.min(...times.filter(Number.isFinite));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }
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
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`holdout:${site}:${email.toLowerCase()}`));
  return new DataView(hash).getUint32(0) % 10_000 < percent * 100;
}

/** The Durable Object of the shopper with this email on this site. */
export function shopperStub(env: Env, site: number, email: string): DurableObjectStub<Shopper> {
  const namespace = env.SHOPPER as unknown as DurableObjectNamespace<Shopper>;
  return namespace.get(namespace.idFromName(`${site}:${email.toLowerCase()}`));
}
