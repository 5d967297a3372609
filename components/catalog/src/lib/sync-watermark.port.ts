/** Where the incremental sync stands for one owner on one storage backend (see `SyncWatermarkStore`). */
export interface SyncWatermark {
  /** The storage backend (`github`, `gitlab`, ...): a watermark is only meaningful to the backend that made it. */
  readonly backend: string;
  readonly owner: string;
  /** The backend's opaque watermark (`DatasetStorage.listChangedDatasets`): for GitHub the newest push seen and its listing's ETags. */
  readonly value: string;
  /** When the owner was last reconciled in full (every dataset compared); a sync due for a full one ignores `value`. */
  readonly fullSyncAt: Date;
  /** When the watermark was last stored: the catalog has every change up to the listing made just before. */
  readonly updatedAt: Date;
}

/**
 * The sync's watermarks, kept in the catalog database beside what they describe (a CronJob's process starts cold, so
 * nothing can live in memory): read before an owner's listing, written once every change it found is recorded.
 */
export interface SyncWatermarkStore {
  /** The owner's watermark on `backend`, if one was stored. */
  get(backend: string, owner: string): Promise<SyncWatermark | undefined>;
  /** Stores (inserts or replaces) the owner's watermark. */
  put(watermark: SyncWatermark): Promise<void>;
  /** Every stored watermark, by backend then owner (for metrics: the oldest one is the sync's lag). */
  list(): Promise<SyncWatermark[]>;
}
