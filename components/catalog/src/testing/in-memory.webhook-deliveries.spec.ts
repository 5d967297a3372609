import { describeWebhookDeliveriesContract } from './webhook-deliveries.contract';
import { InMemoryWebhookDeliveries } from './in-memory.webhook-deliveries';

describeWebhookDeliveriesContract('in memory', async (clock) => ({ deliveries: new InMemoryWebhookDeliveries(clock) }));
