import { describeDatasetStorageContract } from './dataset-storage.contract';
import { InMemoryDatasetStorage } from './in-memory.storage';

// The fake used by domain tests must honour the same contract as the real adapters.
describeDatasetStorageContract('in-memory fake', async () => ({ storage: new InMemoryDatasetStorage() }));
