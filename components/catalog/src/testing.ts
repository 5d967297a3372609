export { describeCatalogStoreContract } from './testing/catalog-store.contract';
export { InMemoryCatalogStore } from './testing/in-memory.catalog';
export { describeChangeJournalContract } from './testing/change-journal.contract';
export type { ChangeJournalUnderTest } from './testing/change-journal.contract';
export { InMemoryChangeJournal } from './testing/in-memory.change-journal';
export { describeWebhookDeliveriesContract } from './testing/webhook-deliveries.contract';
export type { WebhookDeliveriesUnderTest } from './testing/webhook-deliveries.contract';
export { InMemoryWebhookDeliveries } from './testing/in-memory.webhook-deliveries';
