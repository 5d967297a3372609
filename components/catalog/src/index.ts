export { catalogEntryOf } from './lib/catalog-entry';
export type { EntrySource } from './lib/catalog-entry';
export type { CachedDescriptor, CatalogEntry, CatalogUpdate, SearchQuery } from './lib/catalog.model';
export type { CatalogStore } from './lib/catalog.port';
export { CatalogedStorage } from './lib/cataloged.storage';
export type { CatalogedStorageOptions, CatalogLogger } from './lib/cataloged.storage';
export { DatasetIndexer } from './lib/dataset-indexer';
export type { IndexedDataset } from './lib/dataset-indexer';
