export { describeDatasetStorageContract, uniqueOwner } from './testing/dataset-storage.contract';
export type { StorageUnderTest } from './testing/dataset-storage.contract';
export { InMemoryDatasetStorage } from './testing/in-memory.storage';
export { RememberingDatasetStorage } from './testing/remembering.storage';
