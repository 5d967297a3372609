import type { Page } from '@metastore/storage';
import type { StoredEvent } from './event.model';

/** Which events a feed returns: every one, or (`owner`) those of one owner's datasets. */
export interface EventFilter {
  readonly owner?: string;
}

/**
 * The transactional outbox: events written in the same database transaction as the catalog change
 * they announce, published later by a relay. Implemented by the catalog's database adapter.
 */
export interface Outbox {
  /**
   * Publishes the oldest unpublished events (at most `limit`, in sequence order) through `publish`
   * and marks them published, holding the relay's exclusive lease so that only one relay publishes at
   * a time across processes. Returns how many were published; 0 when none waited or another relay holds
   * the lease. If `publish` throws, nothing is marked and the error propagates.
   */
  relayBatch(limit: number, publish: (events: readonly StoredEvent[]) => Promise<void>): Promise<number>;

  /**
   * Every event after `after` (a sequence; from the start when absent), in sequence order: a replayable feed. With
   * `filter.owner`, only the events of that owner's datasets; the cursor is the same sequence either way, so a position
   * in the whole feed resumes the filtered one (and the other way round).
   */
  feed(after: string | undefined, limit: number, filter?: EventFilter): Promise<Page<StoredEvent>>;

  /** How many events wait to be published. */
  pendingCount(): Promise<number>;
}

/** Where events go: an append-only stream. Publishing is idempotent on the event's sequence (a retried batch adds nothing twice). */
export interface EventStream {
  publish(events: readonly StoredEvent[]): Promise<void>;
}
