import type { CartbackEvent } from "../../protocol/types";

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
}

/** An event's time on the collector's clock: corrected for the browser's skew, never ahead. */
export const correctedAt = (message: IngestMessage, event: CartbackEvent): number => Math.min(event.at + message.skew, message.receivedAt);
