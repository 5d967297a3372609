import { formatDatasetId } from '@metastore/datasets';
import type { DatasetId } from '@metastore/storage';

/** Where the queue reports a failed sync or a dataset it had no room for. */
export interface SyncQueueLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** How one scheduled sync ended: done, failed (logged), or never run because the queue was full. */
export type SyncOutcome = 'synced' | 'failed' | 'dropped';

/** How much the queue runs at once and holds, and whom it tells. */
export interface DatasetSyncQueueOptions {
  /** Datasets synced at once (default 2). */
  readonly concurrency?: number;
  /** Datasets waiting at most (default 1000); a delivery for another dataset past it is dropped (the CronJob catches up). */
  readonly capacity?: number;
  /**
   * How long a scheduled dataset waits before its sync starts, in ms (default 500): deliveries arriving meanwhile
   * coalesce into it, and the API's own write that caused the delivery is recorded first, as made (author, reverts).
   */
  readonly settleMs?: number;
  readonly logger?: SyncQueueLogger;
}

/** What scheduling did: a new sync queued, folded into one already waiting, or dropped (the queue is full). */
export type ScheduleResult = 'queued' | 'coalesced' | 'dropped';

/**
 * A bounded, per-process queue of datasets to sync in the background: scheduling never waits for the sync; a dataset
 * already waiting is not queued twice (repeated deliveries coalesce), one being synced is queued once more to run after
 * it (the delivery may name a push the running sync did not see); at most `concurrency` run at once, never two for one
 * dataset. Failures are logged and counted, never thrown: the scheduled catalog sync is the safety net.
 */
export class DatasetSyncQueue {
  private readonly waiting = new Map<string, { id: DatasetId; readyAt: number }>();
  private readonly running = new Set<string>();
  private readonly concurrency: number;
  private readonly capacity: number;
  private readonly settleMs: number;
  private readonly idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Syncs ended so far, by outcome (exported as a Prometheus counter). */
  readonly outcomes: Record<SyncOutcome, number> = { synced: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly sync: (id: DatasetId) => Promise<unknown>,
    private readonly options: DatasetSyncQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.capacity = Math.max(1, options.capacity ?? 1000);
    this.settleMs = Math.max(0, options.settleMs ?? 500);
  }

  /** Datasets waiting (not yet started). */
  get length(): number {
    return this.waiting.size;
  }

  /** Schedules a sync of `id` and returns at once. */
  schedule(id: DatasetId): ScheduleResult {
    const key = formatDatasetId(id);
    if (this.stopped) return this.drop(key);
    if (this.waiting.has(key)) return 'coalesced';
    if (this.waiting.size >= this.capacity) return this.drop(key);
    this.waiting.set(key, { id, readyAt: Date.now() + this.settleMs });
    this.pump();
    return 'queued';
  }

  /** Resolves once nothing waits or runs. */
  idle(): Promise<void> {
    if (this.waiting.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more work: what waits is dropped, what runs is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of [...this.waiting.keys()]) {
      this.waiting.delete(key);
      this.drop(key);
    }
    await this.idle();
  }

  private drop(key: string): ScheduleResult {
    this.options.logger?.warn({ dataset: key }, 'webhook sync dropped (queue full or stopping); the scheduled catalog sync will catch up');
    this.outcomes.dropped += 1;
    return 'dropped';
  }

  /** Starts what is ready, up to the concurrency, and sets a timer for the next that will be. */
  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    let nextReady = Number.POSITIVE_INFINITY;
    for (const [key, { id, readyAt }] of this.waiting) {
      if (this.running.size >= this.concurrency) break;
      if (this.running.has(key)) continue;
      if (readyAt > now) {
        nextReady = Math.min(nextReady, readyAt);
        continue;
      }
      this.waiting.delete(key);
      this.running.add(key);
      void this.run(key, id);
    }
    if (nextReady !== Number.POSITIVE_INFINITY && !this.stopped) {
      this.timer = setTimeout(() => this.pump(), nextReady - now);
      this.timer.unref();
    }
    if (this.waiting.size === 0 && this.running.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(key: string, id: DatasetId): Promise<void> {
    try {
      await this.sync(id);
      this.outcomes.synced += 1;
    } catch (error) {
      this.options.logger?.error({ err: error, dataset: key }, 'webhook sync failed; the scheduled catalog sync will catch up');
      this.outcomes.failed += 1;
    } finally {
      this.running.delete(key);
      this.pump();
    }
  }
}
