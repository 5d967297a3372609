export { describeCatalogStoreContract } from './testing/catalog-store.contract';
export { InMemoryCatalogStore } from './testing/in-memory.catalog';
