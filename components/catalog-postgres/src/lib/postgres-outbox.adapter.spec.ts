import { randomUUID } from 'node:crypto';
import type { MetastoreEvent, StoredEvent } from '@metastore/events';
import { describeOutboxContract } from '@metastore/events/testing';
import { databaseForTests, withClient, type TestDatabase } from '../testing';
import pg from 'pg';
import { createCatalogDatabase, type CatalogDatabase } from './catalog-database';
import { OUTBOX_APPEND_LOCK_KEY } from './postgres-catalog.adapter';

function eventFor(name: string): MetastoreEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:metastore:test',
    type: 'dataset.created',
    subject: `acme/${name}`,
    time: '2024-01-02T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      dataset: { id: `acme/${name}`, owner: 'acme', name, backend: 'local', location: `acme/${name}.git` },
      origin: 'api',
      oldRevision: null,
      newRevision: 'a'.repeat(40),
      author: { name: 'Alice', email: 'alice@example.com' },
      message: 'Ünïcode ✓',
    },
  };
}

/** A promise and its resolver, to hold a relay inside `publish`. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('PostgresOutbox', () => {
  let database: TestDatabase;
  let db: CatalogDatabase;

  describeOutboxContract('PostgreSQL', async () => ({
    outbox: db.outbox,
    append: async (events) =>
      void (await db.catalog.apply({
        dataset: { owner: events[0]?.data.dataset.owner ?? 'acme', name: events[0]?.data.dataset.name ?? 'x' },
        events: [...events],
      })),
  }));

  // A first test database may need a migrated template made: more than Jest's default five seconds.
  beforeAll(async () => {
    database = await databaseForTests();
    db = createCatalogDatabase({ url: database.url, poolSize: database.poolSize });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  }, 60_000);

  /** Publishes everything waiting, so each test starts from an empty outbox. */
  async function drain(): Promise<void> {
    while ((await db.outbox.relayBatch(1000, async () => undefined)) > 0);
  }

  async function append(...names: string[]): Promise<MetastoreEvent[]> {
    const events = names.map(eventFor);
    await db.catalog.apply({ dataset: { owner: 'acme', name: names[0] ?? 'x' }, events });
    return events;
  }

  beforeEach(() => drain());

  it('lets one relay at a time publish: a second gets 0 while the first holds the lease', async () => {
    if (database.kind === 'embedded') {
      // The embedded server has one connection: a second relay waits for the first instead of overlapping it.
      return;
    }
    const other = createCatalogDatabase({ url: database.url, poolSize: 2 });
    try {
      await append('x', 'y', 'z');
      const held = gate();
      const entered = gate();
      const first = db.outbox.relayBatch(10, async () => {
        entered.open();
        await held.opened;
      });
      await entered.opened;
      const seenBySecond: StoredEvent[] = [];
      const secondCount = await other.outbox.relayBatch(10, async (batch) => {
        seenBySecond.push(...batch);
      });
      expect(secondCount).toBe(0);
      expect(seenBySecond).toEqual([]);
      held.open();
      expect(await first).toBe(3);
      expect(await other.outbox.relayBatch(10, async () => undefined)).toBe(0);
      expect(await db.outbox.pendingCount()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('never publishes an event twice when many relays race', async () => {
    const relays =
      database.kind === 'embedded'
        ? [db]
        : [db, ...Array.from({ length: 3 }, () => createCatalogDatabase({ url: database.url, poolSize: 2 }))];
    try {
      await append(...Array.from({ length: 30 }, (_, index) => `race-${index}`));
      const published: string[] = [];
      await Promise.all(
        relays.flatMap((relay) =>
          [0, 1].map(async () => {
            for (let round = 0; round < 20; round++) {
              await relay.outbox.relayBatch(4, async (batch) => {
                published.push(...batch.map((stored) => stored.sequence));
                await new Promise((resolve) => setTimeout(resolve, 2));
              });
            }
          }),
        ),
      );
      while ((await db.outbox.relayBatch(4, async (batch) => void published.push(...batch.map((stored) => stored.sequence)))) > 0);
      expect(published).toHaveLength(30);
      expect(new Set(published).size).toBe(30);
    } finally {
      await Promise.all(relays.filter((relay) => relay !== db).map((relay) => relay.close()));
    }
  });

  it('never lets a relay see a later event before an earlier one commits, so a stream that drops sequences it has passed loses nothing', async () => {
    // The Redis stream skips any sequence at or below the last one it published; if commits could land out of
    // sequence order, a relay running between them would publish the later one and the earlier one would be dropped.
    let last = 0n;
    const received: string[] = [];
    const publish = async (events: readonly StoredEvent[]) => {
      for (const stored of events) {
        const sequence = BigInt(stored.sequence);
        if (sequence > last) {
          last = sequence;
          received.push(stored.event.id);
        }
      }
    };
    await drain();
    const appended: string[] = [];
    let relaying = true;
    const relay = (async () => {
      while (relaying) await db.outbox.relayBatch(50, publish);
    })();
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      for (let round = 0; round < 25; round += 1) appended.push(...(await append(`w${writer}-${round}`)).map((event) => event.id));
    });
    await Promise.all(writers);
    relaying = false;
    await relay;
    while ((await db.outbox.relayBatch(1000, publish)) > 0);
    expect(new Set(received)).toEqual(new Set(appended));
  }, 120_000);

  it('lets appends to different datasets commit side by side, and readers wait for an open append instead of passing its sequence', async () => {
    if (database.poolSize === 1) return; // The embedded database serves one connection: transactions cannot overlap there.
    await drain();
    const start = (await db.outbox.feed(undefined, 1000)).items.at(-1)?.sequence ?? '0';
    // An append of another dataset, open: it holds the append lock as `apply` does and has drawn its sequence.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock_shared($1)', [OUTBOX_APPEND_LOCK_KEY.toString()]);
      const open = eventFor('open');
      await other.query(`INSERT INTO outbox_events (event_id, owner, name, type, payload) VALUES ($1, 'acme', 'open', $2, $3)`, [
        open.id,
        open.type,
        JSON.stringify(open),
      ]);
      // Commits while the other append is still open (before, it waited for it): a later sequence is now committed.
      const [later] = await append('later');
      // Readers started now must not pass the open append's lower sequence: they wait for it and then see both, in order.
      const published: string[] = [];
      const relayed = db.outbox.relayBatch(10, async (events) => void published.push(...events.map((stored) => stored.event.id)));
      const fed = db.outbox.feed(start, 10);
      // Both are waiting for the append lock (a barrier on the server's lock table, not a delay) before the append ends.
      const waiting = async () =>
        (
          await other.query(`SELECT count(*)::int AS waiting FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
        ).rows[0].waiting as number;
      while ((await waiting()) < 2) await new Promise((resolve) => setImmediate(resolve));
      await other.query('COMMIT');
      expect(await relayed).toBe(2);
      expect(published).toEqual([open.id, later!.id]);
      expect((await fed).items.map((stored) => stored.event.id)).toEqual([open.id, later!.id]);
    } finally {
      await other.end();
    }
  }, 30_000);

  it("reads one owner's feed as a range of the (owner, sequence) index, not a walk of every owner's events", async () => {
    // The embedded database takes one connection at a time, and the catalog holds it: this last check closes the catalog
    // (close() is idempotent; afterAll's close then returns at once).
    if (database.kind === 'embedded') await db.close();
    await withClient(database.url, async (client) => {
      // Many published events of another owner after the cursor, then statistics, as on a busy instance.
      await client.query(`
        INSERT INTO outbox_events (event_id, owner, name, type, payload, published_at)
        SELECT gen_random_uuid(), 'bulk', 'b' || i, 'dataset.updated', '{}'::jsonb, now() FROM generate_series(1, 5000) AS i`);
      await client.query('ANALYZE outbox_events');
      const [{ 'QUERY PLAN': plan }] = (
        await client.query(`
          EXPLAIN (FORMAT JSON) SELECT sequence, payload FROM outbox_events
          WHERE owner = 'acme' AND sequence > 0 ORDER BY owner, sequence LIMIT 100`)
      ).rows as [{ 'QUERY PLAN': unknown }];
      expect(JSON.stringify(plan)).toContain('"Index Name":"outbox_events_owner_sequence_idx"');
    });
  });
});
