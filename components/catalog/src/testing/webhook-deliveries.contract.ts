import type { WebhookDeliveries } from '../lib/webhook-deliveries.port';

/** Webhook deliveries under test, over a clock the test moves (`now`), with what tears them down. */
export interface WebhookDeliveriesUnderTest {
  readonly deliveries: WebhookDeliveries;
  readonly teardown?: () => Promise<void>;
}

/**
 * The contract every `WebhookDeliveries` adapter passes: a delivery is first once per sender until it expires, even
 * when the same id is recorded concurrently. `setup(clock)` builds one whose expiry checks read `clock`.
 */
export function describeWebhookDeliveriesContract(label: string, setup: (clock: () => Date) => Promise<WebhookDeliveriesUnderTest>): void {
  describe(`WebhookDeliveries contract: ${label}`, () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    let underTest: WebhookDeliveriesUnderTest;
    const later = (ms: number) => new Date(now.getTime() + ms);
    beforeEach(async () => {
      now = new Date('2026-01-01T00:00:00.000Z');
      underTest = await setup(() => now);
    });
    afterEach(async () => {
      await underTest.teardown?.();
    });

    it('answers true for a new delivery and false for the same id again, per sender', async () => {
      const { deliveries } = underTest;
      expect(await deliveries.recordFirstDelivery('github', 'd-1', later(60_000))).toBe(true);
      expect(await deliveries.recordFirstDelivery('github', 'd-1', later(60_000))).toBe(false);
      expect(await deliveries.recordFirstDelivery('gitlab', 'd-1', later(60_000))).toBe(true);
      expect(await deliveries.recordFirstDelivery('github', 'd-2', later(60_000))).toBe(true);
    });

    it('forgets a delivery once it expired: the id is new again', async () => {
      const { deliveries } = underTest;
      expect(await deliveries.recordFirstDelivery('github', 'old', later(1_000))).toBe(true);
      now = later(999);
      expect(await deliveries.recordFirstDelivery('github', 'old', later(1_000))).toBe(false);
      now = later(2_000);
      expect(await deliveries.recordFirstDelivery('github', 'old', later(1_000))).toBe(true);
      expect(await deliveries.recordFirstDelivery('github', 'old', later(1_000))).toBe(false);
    });

    it('lets exactly one of concurrent recordings of one id be first', async () => {
      const { deliveries } = underTest;
      const answers = await Promise.all(Array.from({ length: 8 }, () => deliveries.recordFirstDelivery('github', 'raced', later(60_000))));
      expect(answers.filter(Boolean)).toHaveLength(1);
    });
  });
}
