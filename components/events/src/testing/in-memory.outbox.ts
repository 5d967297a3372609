import type { Page } from '@metastore/storage';
import type { MetastoreEvent, StoredEvent } from '../lib/event.model';
import type { EventFilter, Outbox } from '../lib/outbox.port';
import { parseEventCursor } from '../lib/event-cursor';

/** An outbox in memory, for unit tests of the relay and of code that appends events. */
export class InMemoryOutbox implements Outbox {
  readonly events: { stored: StoredEvent; published: boolean }[] = [];
  private leased = false;

  /** Appends events as a catalog transaction would. */
  append(...events: MetastoreEvent[]): void {
    for (const event of events) this.events.push({ stored: { sequence: String(this.events.length + 1), event }, published: false });
  }

  async relayBatch(limit: number, publish: (events: readonly StoredEvent[]) => Promise<void>): Promise<number> {
    if (this.leased) return 0;
    this.leased = true;
    try {
      const batch = this.events.filter((entry) => !entry.published).slice(0, limit);
      if (batch.length === 0) return 0;
      await publish(batch.map((entry) => entry.stored));
      for (const entry of batch) entry.published = true;
      return batch.length;
    } finally {
      this.leased = false;
    }
  }

  async feed(after: string | undefined, limit: number, filter: EventFilter = {}): Promise<Page<StoredEvent>> {
    const start = parseEventCursor(after) ?? 0n;
    const items = this.events
      .map((entry) => entry.stored)
      .filter((stored) => BigInt(stored.sequence) > start)
      .filter((stored) => filter.owner === undefined || stored.event.data.dataset.owner === filter.owner)
      .slice(0, limit);
    return { items, ...(items.length === limit ? { nextCursor: items.at(-1)!.sequence } : {}) };
  }

  async pendingCount(): Promise<number> {
    return this.events.filter((entry) => !entry.published).length;
  }
}
