import { parseEventCursor, type EventFilter, type MetastoreEvent, type Outbox, type StoredEvent } from '@metastore/events';
import type { Page } from '@metastore/storage';
import type { PrismaClient } from '../generated/prisma/client';
import { asUnavailable, guarded } from './database-errors';
import { OUTBOX_APPEND_LOCK_KEY, type TransactionLimits } from './postgres-catalog.adapter';

/**
 * Key of the transaction-scoped advisory lock that makes one relay at a time publish, across processes
 * (the bytes of "MSRELAY\0"). Any other user of advisory locks on this database must avoid it.
 */
export const RELAY_LOCK_KEY = 0x4d5352454c415900n;

interface EventRow {
  readonly sequence: bigint;
  readonly payload: unknown;
}

function toStoredEvent(row: EventRow): StoredEvent {
  const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload;
  return { sequence: row.sequence.toString(), event: payload as MetastoreEvent };
}

/** The transactional outbox in the catalog database's `outbox_events` table. Built by `createCatalogDatabase`. */
export class PostgresOutbox implements Outbox {
  constructor(
    private readonly prisma: PrismaClient,
    /** The connection URL, only to keep its password out of error messages. */
    private readonly url: string,
    /** `relayBatch` holds its transaction open while `publish` runs. */
    private readonly transactions: TransactionLimits,
  ) {}

  /**
   * The highest sequence at or below which every append has committed or rolled back: appends hold the append lock
   * shared until they end, so once it is granted exclusively none is open, and every later append draws a higher
   * sequence. Readers read up to it, never past an append still open (its lower sequence would become visible later).
   * Taken before, not inside, a reader's transaction: the embedded database serves one connection.
   */
  private async settledSequence(): Promise<bigint> {
    const [, rows] = await this.prisma.$transaction([
      this.prisma.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(${OUTBOX_APPEND_LOCK_KEY})`,
      this.prisma.$queryRaw<{ settled: bigint | null }[]>`SELECT max(sequence) AS settled FROM outbox_events`,
    ]);
    return rows[0]?.settled ?? 0n;
  }

  async relayBatch(limit: number, publish: (events: readonly StoredEvent[]) => Promise<void>): Promise<number> {
    let publishFailure: { error: unknown } | undefined;
    try {
      const settled = await this.settledSequence();
      return await this.prisma.$transaction(
        async (tx) => {
          const [lease] = await tx.$queryRaw<{ acquired: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS acquired`;
          if (!lease?.acquired) return 0;
          const rows = await tx.$queryRaw<EventRow[]>`
            SELECT sequence, payload FROM outbox_events
            WHERE published_at IS NULL AND sequence <= ${settled}
            ORDER BY sequence
            LIMIT ${limit}`;
          if (rows.length === 0) return 0;
          try {
            await publish(rows.map(toStoredEvent));
          } catch (error) {
            publishFailure = { error };
            throw error;
          }
          // Exactly the rows published: events appended since are published by the next batch.
          await tx.$executeRaw`
            UPDATE outbox_events SET published_at = now()
            WHERE sequence = ANY(${rows.map((row) => row.sequence)}::bigint[])`;
          return rows.length;
        },
        { maxWait: this.transactions.maxWaitMs, timeout: this.transactions.timeoutMs },
      );
    } catch (error) {
      if (publishFailure) throw publishFailure.error;
      throw asUnavailable(error, this.url, 'relay outbox events');
    }
  }

  async feed(after: string | undefined, limit: number, filter: EventFilter = {}): Promise<Page<StoredEvent>> {
    const start = parseEventCursor(after) ?? 0n;
    const { owner } = filter;
    // One owner's: a walk of the (owner, sequence) index from the cursor, which stops after a page however rare the owner.
    const rows = await guarded(this.url, 'read the event feed', async () => {
      const settled = await this.settledSequence();
      return owner === undefined
        ? this.prisma.$queryRaw<EventRow[]>`
            SELECT sequence, payload FROM outbox_events
            WHERE sequence > ${start} AND sequence <= ${settled}
            ORDER BY sequence
            LIMIT ${limit}`
        : this.prisma.$queryRaw<EventRow[]>`
            SELECT sequence, payload FROM outbox_events
            WHERE owner = ${owner} AND sequence > ${start} AND sequence <= ${settled}
            ORDER BY owner, sequence
            LIMIT ${limit}`;
    });
    const items = rows.map(toStoredEvent);
    const last = items.at(-1);
    return { items, ...(items.length === limit && last ? { nextCursor: last.sequence } : {}) };
  }

  async pendingCount(): Promise<number> {
    const [row] = await guarded(
      this.url,
      'count pending events',
      () => this.prisma.$queryRaw<{ pending: number }[]>`SELECT count(*)::int AS pending FROM outbox_events WHERE published_at IS NULL`,
    );
    return row?.pending ?? 0;
  }
}
