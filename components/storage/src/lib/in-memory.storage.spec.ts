import { describeDatasetStorageContract, InMemoryDatasetStorage } from '../testing';

// The fake used by domain tests must honour the same contract as the real adapters.
describeDatasetStorageContract('in-memory fake', async () => ({ storage: new InMemoryDatasetStorage() }));
