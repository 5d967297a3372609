import { InMemorySyncWatermarkStore } from './in-memory.sync-watermarks';
import { describeSyncWatermarkStoreContract } from './sync-watermark-store.contract';

describeSyncWatermarkStoreContract('in memory', async () => ({ store: new InMemorySyncWatermarkStore() }));
