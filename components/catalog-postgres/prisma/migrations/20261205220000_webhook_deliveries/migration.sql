-- Webhook deliveries accepted (GitHub's X-GitHub-Delivery, GitLab's X-Gitlab-Event-UUID), by sender, kept until they
-- expire: a delivery id seen again before then is a replay. Expired rows are pruned by the adapter.
-- No semicolon may appear except at the end of a statement (see the init migration).

CREATE TABLE "webhook_deliveries" (
    "sender" TEXT COLLATE "C" NOT NULL,
    "delivery_id" TEXT COLLATE "C" NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("sender", "delivery_id")
);

CREATE INDEX "webhook_deliveries_expires_at_idx" ON "webhook_deliveries"("expires_at");
