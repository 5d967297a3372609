import { describeCatalogStoreContract } from './catalog-store.contract';
import { InMemoryCatalogStore } from './in-memory.catalog';

// The fake the domain tests use keeps the same contract as the PostgreSQL adapter (relevance ranking aside).
describeCatalogStoreContract('in memory', async () => ({ store: new InMemoryCatalogStore() }));
