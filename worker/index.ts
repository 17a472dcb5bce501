import { Hono } from "hono";
import { dashboard } from "./dashboard/routes";
import type { IngestMessage } from "./db/browsers";
import { bench } from "./dev/bench";
import { devOutbox } from "./dev/outbox";
import { answerError, jsonError } from "./http/errors";
import { ingest } from "./ingest/route";
import { storeBatches } from "./ingest/store";
import { links } from "./links/routes";
import { deliverMail, recordUndeliverable } from "./mail/deliver";
import { feedbackMerchant } from "./mail/feedback/merchant";
import { feedbackHooks } from "./mail/feedback/routes";
import type { MailJob } from "./mail/job";
import { merchant } from "./merchant/routes";
import { hooks } from "./platforms/routes";
import { privacy } from "./privacy/routes";
import { wakeForgottenShoppers } from "./recovery/sweep";
import { purgeExpired } from "./retention/purge";
import { segmentDownloads } from "./segments/dashboard";
import { segments } from "./segments/routes";
import { twilioHooks } from "./sms/routes";
import { stats } from "./stats/routes";
import { sync } from "./sync/route";
import { deliverWebhooks } from "./webhooks/deliver";
import type { WebhookJob } from "./webhooks/send";

export { Shopper } from "./recovery/shopper";
export { Account } from "./sync/account";

export const app = new Hono<{ Bindings: Env }>()
  .get("/health", (c) => c.json({ ok: true }))
  .route("/v1/events", ingest)
  .route("/", links)
  .route("/", merchant)
  .route("/", hooks)
  .route("/", twilioHooks)
  .route("/", feedbackHooks)
  .route("/", feedbackMerchant)
  .route("/", stats)
  .route("/", privacy)
  .route("/", segments)
  .route("/", segmentDownloads)
  .route("/", sync)
  .route("/", dashboard)
  .route("/", devOutbox)
  .route("/", bench);

app.notFound((c) => jsonError(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
app.onError(answerError);

type Job = IngestMessage | MailJob | WebhookJob;

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    switch (batch.queue) {
      case "cartback-ingest":
        return storeBatches(batch as MessageBatch<IngestMessage>, env);
      case "cartback-mail":
        return deliverMail(batch as MessageBatch<MailJob>, env);
      case "cartback-mail-dlq":
        return recordUndeliverable(batch as MessageBatch<MailJob>, env);
      case "cartback-webhooks":
        return deliverWebhooks(batch as MessageBatch<WebhookJob>, env);
      default:
        console.error(`no consumer for queue ${batch.queue}`);
        batch.retryAll();
    }
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      purgeExpired(env.DB, controller.scheduledTime).then(async (purged) => {
        const woken = await wakeForgottenShoppers(env, controller.scheduledTime);
        console.log("daily job", { purged, woken });
      }),
    );
  },
} satisfies ExportedHandler<Env, Job>;
