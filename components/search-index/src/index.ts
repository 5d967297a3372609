export { SearchIndexer } from './lib/search-indexer';
export type { ApplyOutcome, IndexedDataset, SearchIndexerOptions } from './lib/search-indexer';
