export { catalogEntryOf, isCacheable, storableEntry } from './lib/catalog-entry';
export type { EntrySource } from './lib/catalog-entry';
export { meetsExpectation, sameTag, sameTags } from './lib/catalog-expectation';
export type { RecordedState } from './lib/catalog-expectation';
export type { ApplyOutcome, CachedDescriptor, CatalogEntry, CatalogExpectation, CatalogUpdate, SearchQuery } from './lib/catalog.model';
export type { CatalogStore } from './lib/catalog.port';
export { CatalogedStorage } from './lib/cataloged.storage';
export type { CatalogedStorageOptions, CatalogLogger } from './lib/cataloged.storage';
export { DatasetIndexer } from './lib/dataset-indexer';
export type { IndexedDataset } from './lib/dataset-indexer';
export { DatasetReconciler } from './lib/dataset-reconciler';
export type {
  DatasetReconcileOptions,
  DatasetReconcileResult,
  DatasetReconcilerOptions,
  EventTally,
  ReconcileLogger,
} from './lib/dataset-reconciler';
export { decodeJournaledChange, encodeJournaledChange, JOURNAL_FORMAT_VERSION } from './lib/change-journal.codec';
export type { ChangeJournal, JournaledChange, JournaledUpdate, JournalEntry } from './lib/change-journal.port';
export type { WebhookDeliveries } from './lib/webhook-deliveries.port';
export { JournalDrainer } from './lib/journal-drainer.service';
export type { DrainSummary, JournalDrainerOptions, JournalLogger, JournalStatus } from './lib/journal-drainer.service';
export { CatalogSync, DEFAULT_FULL_SYNC_EVERY_MS, NOTHING_RECONCILED } from './lib/catalog-sync.service';
export type {
  CatalogSyncOptions,
  RebuildSummary,
  ReconcileSummary,
  SyncLogger,
  SyncProgress,
  SyncRunOptions,
} from './lib/catalog-sync.service';
export type { SyncWatermark, SyncWatermarkStore } from './lib/sync-watermark.port';
