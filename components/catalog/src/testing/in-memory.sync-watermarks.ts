import type { SyncWatermark, SyncWatermarkStore } from '../lib/sync-watermark.port';

/** SyncWatermarkStore in memory, for domain tests (passes `describeSyncWatermarkStoreContract`). */
export class InMemorySyncWatermarkStore implements SyncWatermarkStore {
  private readonly watermarks = new Map<string, SyncWatermark>();

  async get(backend: string, owner: string): Promise<SyncWatermark | undefined> {
    return this.watermarks.get(`${backend}\u0000${owner}`);
  }

  async put(watermark: SyncWatermark): Promise<void> {
    this.watermarks.set(`${watermark.backend}\u0000${watermark.owner}`, { ...watermark });
  }

  async list(): Promise<SyncWatermark[]> {
    return [...this.watermarks.values()].sort((a, b) =>
      a.backend !== b.backend ? (a.backend < b.backend ? -1 : 1) : a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0,
    );
  }
}
