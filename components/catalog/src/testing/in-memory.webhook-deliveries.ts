import type { WebhookDeliveries } from '../lib/webhook-deliveries.port';

/** Webhook deliveries in a map, for domain and HTTP tests; `clock` tells expiry as the PostgreSQL adapter's does. */
export class InMemoryWebhookDeliveries implements WebhookDeliveries {
  private readonly seen = new Map<string, Date>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async recordFirstDelivery(sender: string, id: string, keepUntil: Date): Promise<boolean> {
    const now = this.clock();
    for (const [key, expiry] of this.seen) if (expiry <= now) this.seen.delete(key);
    const key = JSON.stringify([sender, id]);
    if (this.seen.has(key)) return false;
    this.seen.set(key, keepUntil);
    return true;
  }
}
