// The shapes that cross the data layer without being tables: a batch on its way to D1, and what
// a browser's rows tell the person's object. No D1 here, so the pure recovery code (and its
// tests in Node) can import them.
import type { CartbackEvent, LineData } from "../../protocol/types";
import type { Moment } from "../recovery/reasons";

/** One accepted request, as it travels from the ingest route to the consumer. */
export interface IngestMessage {
  site: number;
  aid: string;
  /** When the collector accepted it, on the collector's clock. */
  receivedAt: number;
  /** Collector clock minus the browser's, measured from the batch's `sentAt`. */
  skew: number;
  /** The site's cart lifetime at the time of ingest. */
  ttlDays: number;
  events: CartbackEvent[];
  /** The browser's language preferences (copy/builtin.ts parsePreferences, joined by commas) and
   * IANA time zone, read from the request; absent in messages queued before they were read. */
  locale?: string;
  timeZone?: string;
  /** The page's Origin, as the request said it: where an SMS consent in the batch was given. */
  origin?: string;
}

/** An event's time on the collector's clock: corrected for the browser's skew, never ahead. */
export const correctedAt = (message: IngestMessage, event: CartbackEvent): number => Math.min(event.at + message.skew, message.receivedAt);

/** A cart change on one browser, on the collector's clock; value 0 is an empty cart. */
export interface CartPoint {
  at: number;
  value: number;
}

/** A paid order: from a browser's script, the merchant API or a platform webhook. */
export interface PaidOrder {
  orderId: string;
  total: number;
  at: number;
}

/** What D1 holds about one browser of the person, as a whole: a later snapshot replaces it. */
export interface Browser {
  aid: string;
  /** The cart's changes, oldest first, at most `KEEP_POINTS`; the last one is the cart now. */
  points: CartPoint[];
  currency: string;
  expiresAt: number;
  /** The browser's latest event of any kind. */
  lastActivity: number;
  moments: Moment[];
  checkoutAt?: number;
  orders: PaidOrder[];
  /** Its language preferences and time zone as of its latest batch (see IngestMessage). */
  locale?: string;
  timeZone?: string;
  /** The number this browser consented to texts with (its latest consent not withdrawn since), and
   * when. A snapshot read from D1 always says, so a withdrawal clears what an older one said. */
  sms?: { phone: string; at: number } | null;
  /** The cart's lines as the exclusion rules read them (recovery/audience.ts): id and `data`. */
  lines?: { id: string; data?: LineData }[];
  /** What the shop said at identify on this browser: no recovery for this shopper (`exclude`),
   * or they bought before (`customer`); absent when it said nothing. */
  excluded?: boolean;
  customer?: boolean;
}

/** What a snapshot keeps of a browser: enough for the reason window, bounded whatever a page sends. */
/** The key of a person known only by a consented phone number (no email yet): `tel:` and the number. */
export const PHONE_KEY = "tel:";

export const KEEP_POINTS = 20;
export const KEEP_MOMENTS = 50;

/** Why a product image was left out of an email (mail/render.ts): its host is not the site's, or it is not https. */
export type ImageDrop = { host: string; reason: "host" | "http" };
