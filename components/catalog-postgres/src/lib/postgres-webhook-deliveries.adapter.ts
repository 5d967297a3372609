import type { WebhookDeliveries } from '@metastore/catalog';
import type { PrismaClient } from '../generated/prisma/client';
import { guarded } from './database-errors';

/** Expired deliveries are deleted at most this often per process (each recording is then one statement). */
const PRUNE_INTERVAL_MS = 60_000;

/** Webhook deliveries in the catalog database's `webhook_deliveries` table, one row per sender and delivery id until it expires. */
export class PostgresWebhookDeliveries implements WebhookDeliveries {
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly prisma: PrismaClient,
    /** The connection URL, only to keep its password out of error messages. */
    private readonly url: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async recordFirstDelivery(sender: string, id: string, keepUntil: Date): Promise<boolean> {
    const now = this.clock();
    return guarded(this.url, 'record a webhook delivery', async () => {
      if (now.getTime() - this.prunedAt >= PRUNE_INTERVAL_MS) {
        this.prunedAt = now.getTime();
        await this.prisma.$executeRaw`DELETE FROM webhook_deliveries WHERE expires_at <= ${now}`;
      }
      // One statement decides: a new id is inserted, an expired one taken over, a live one left alone (no row returned).
      // Concurrent recordings of one id serialise on its primary key, so exactly one of them is first.
      const rows = await this.prisma.$queryRaw<{ first: number }[]>`
        INSERT INTO webhook_deliveries (sender, delivery_id, received_at, expires_at) VALUES (${sender}, ${id}, ${now}, ${keepUntil})
        ON CONFLICT (sender, delivery_id) DO UPDATE SET received_at = EXCLUDED.received_at, expires_at = EXCLUDED.expires_at
        WHERE webhook_deliveries.expires_at <= ${now}
        RETURNING 1 AS first`;
      return rows.length > 0;
    });
  }
}
