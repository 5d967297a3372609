/**
 * Events section of `npm run bench`: the API publishing to a Redis stream of its own (outbox, relay nudged
 * after each write) and a `StreamConsumer` in the bench process. Measures how long after a write its event
 * reaches the consumer, one write at a time and under concurrent writes, how far the relay falls behind,
 * and whether every event in the outbox arrived.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StoredEvent } from '@metastore/events';
import { DEFAULT_REDIS_URL, StreamConsumer } from '@metastore/events-redis';
import { deleteStreamKeys, uniqueStreamKey } from '@metastore/events-redis/testing';
import { AUTH_HEADERS, benchDatabase, call, CONNECTIONS, DURATION_SECONDS, percentile, startApi, type ApiProcess } from './harness';

const SEQUENTIAL_WRITES = Number(process.env['BENCH_EVENTS_WRITES'] ?? 300);

/** What the consumer has seen: when each revision's event first arrived, and counts. */
interface Consumed {
  readonly arrivals: Map<string, number>;
  received: number;
  duplicates: number;
  lastArrival: number;
}

/** One write: when its request left, when its answer came back, and the revision it made. */
interface Write {
  readonly sent: number;
  readonly responded: number;
  readonly sha: string;
}

/** PATCHes the title of `bench-events/<name>`; undefined when the API did not accept it. */
async function patchTitle(apiUrl: string, name: string, title: string): Promise<Write | undefined> {
  const sent = performance.now();
  const response = await fetch(`${apiUrl}/api/v1/datasets/bench-events/${name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', ...AUTH_HEADERS },
    body: JSON.stringify({ title }),
  });
  const body = (await response.json()) as { revision?: { sha: string } };
  const responded = performance.now();
  return response.ok && body.revision ? { sent, responded, sha: body.revision.sha } : undefined;
}

/** Resolves once every write's event has arrived, or when none has arrived for `idleMs` (some may be lost), or after `timeoutMs`. */
async function arrivalsOf(writes: readonly Write[], consumed: Consumed, idleMs = 3000, timeoutMs = 60_000): Promise<void> {
  const started = performance.now();
  for (;;) {
    const now = performance.now();
    const waiting = writes.some((write) => !consumed.arrivals.has(write.sha));
    if (!waiting || now - Math.max(consumed.lastArrival, started) > idleMs || now - started > timeoutMs) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** "p50 x / p99 y / max z ms" of arrival minus `from`, over the writes whose event arrived. */
function delays(writes: readonly Write[], arrivals: ReadonlyMap<string, number>, from: (write: Write) => number): string {
  const values = writes.flatMap((write) => {
    const arrived = arrivals.get(write.sha);
    return arrived === undefined ? [] : [arrived - from(write)];
  });
  const missing = writes.length - values.length;
  if (values.length === 0) return `no event arrived (${missing} writes)`;
  return `p50 ${percentile(values, 0.5).toFixed(1)} / p99 ${percentile(values, 0.99).toFixed(1)} / max ${Math.max(...values).toFixed(1)} ms${missing ? `, ${missing} never arrived` : ''}`;
}

/** Every event in the outbox, read through the API's replay feed. */
async function outboxEvents(apiUrl: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after = '0';
  for (;;) {
    const page = (await call('GET', `${apiUrl}/api/v1/events?limit=1000&after=${after}`)) as {
      items: StoredEvent[];
      nextCursor: string | null;
    };
    events.push(...page.items);
    if (!page.nextCursor) return events;
    after = page.nextCursor;
  }
}

/** Outbox events the relay has not published yet (a second connection: server databases only). */
async function unpublished(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ pending: number }>('SELECT count(*)::int AS pending FROM outbox_events WHERE published_at IS NULL');
    return result.rows[0]?.pending ?? 0;
  } finally {
    await client.end();
  }
}

/** Runs the events section and prints its figures. */
export async function runEventsBench(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
  const stream = uniqueStreamKey('bench:events');
  const consumed: Consumed = { arrivals: new Map(), received: 0, duplicates: 0, lastArrival: 0 };
  const { arrivals } = consumed;
  const consumer = new StreamConsumer({
    redis: redisUrl,
    stream,
    group: 'bench',
    handler: async (event) => {
      const now = performance.now();
      consumed.received += 1;
      consumed.lastArrival = now;
      const sha = event.data.newRevision;
      if (sha === null) return;
      if (arrivals.has(sha)) consumed.duplicates += 1;
      else arrivals.set(sha, now);
    },
  });
  try {
    await consumer.start();
  } catch (error) {
    console.log(`\nEvents: skipped, no Redis at REDIS_URL (${(error as Error).message})`);
    return;
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-events-'));
  const database = await benchDatabase();
  let api: ApiProcess | undefined;
  try {
    api = await startApi({ dataDir, redis: { url: redisUrl, stream }, ...(database.url ? { databaseUrl: database.url } : {}) });
    const apiUrl = api.url;
    const names = ['latency', ...Array.from({ length: CONNECTIONS }, (_, index) => `writer-${index}`)];
    for (const name of names) {
      await call('POST', `${apiUrl}/api/v1/datasets`, {
        owner: 'bench-events',
        name,
        descriptor: { name, title: 'v0', resources: [{ name: 'data', path: 'data.csv' }] },
      });
    }

    // (a) One write at a time, each answered before the next is sent.
    const sequential: Write[] = [];
    for (let index = 1; index <= SEQUENTIAL_WRITES; index += 1) {
      const write = await patchTitle(apiUrl, 'latency', `title ${index}`);
      if (write) sequential.push(write);
    }
    await arrivalsOf(sequential, consumed);

    // (b) CONNECTIONS writers, each PATCHing its own dataset in a loop for DURATION_SECONDS.
    const concurrent: Write[] = [];
    let rejected = 0;
    const loadStarted = performance.now();
    const loadEnds = loadStarted + DURATION_SECONDS * 1000;
    await Promise.all(
      names.slice(1).map(async (name) => {
        for (let index = 1; performance.now() < loadEnds; index += 1) {
          const write = await patchTitle(apiUrl, name, `title ${index}`);
          if (write) concurrent.push(write);
          else rejected += 1;
        }
      }),
    );
    const loadEnded = performance.now();
    const deliveredDuringLoad = concurrent.filter((write) => (arrivals.get(write.sha) ?? Infinity) <= loadEnded).length;
    const notPublishedAtEnd = database.url ? await unpublished(database.url) : undefined;
    await arrivalsOf(concurrent, consumed);
    const lastResponse = Math.max(...concurrent.map((write) => write.responded));
    const lastConcurrentArrival = Math.max(...concurrent.map((write) => arrivals.get(write.sha) ?? 0));
    const delivered = concurrent.filter((write) => arrivals.has(write.sha)).length;
    const outbox = await outboxEvents(apiUrl);
    const lost = outbox.filter(({ event }) => event.data.newRevision !== null && !arrivals.has(event.data.newRevision));
    const loadSeconds = (loadEnded - loadStarted) / 1000;
    const roundTrips = sequential.map((write) => write.responded - write.sent);

    console.log(
      `\nEvents: API → outbox → relay → Redis stream ${stream} → StreamConsumer in the bench process; catalog: ${database.label}\n`,
    );
    console.log(`(a) ${sequential.length} sequential PATCHes of one dataset's title (${SEQUENTIAL_WRITES - sequential.length} rejected)`);
    console.log(`    event received − write response received: ${delays(sequential, arrivals, (write) => write.responded)}`);
    console.log(`    event received − write request sent:      ${delays(sequential, arrivals, (write) => write.sent)}`);
    console.log(
      `    write round trip:                         p50 ${percentile(roundTrips, 0.5).toFixed(1)} / p99 ${percentile(roundTrips, 0.99).toFixed(1)} ms`,
    );
    console.log(`(b) ${CONNECTIONS} writers, one dataset each, ${loadSeconds.toFixed(1)} s`);
    console.log(`    writes accepted: ${concurrent.length} (${(concurrent.length / loadSeconds).toFixed(0)}/s), rejected: ${rejected}`);
    console.log(
      `    events delivered to the consumer during the load: ${deliveredDuringLoad} (${(deliveredDuringLoad / loadSeconds).toFixed(0)}/s)`,
    );
    console.log(
      `    backlog when the load stopped: ${concurrent.length - deliveredDuringLoad} events not yet at the consumer` +
        (notPublishedAtEnd === undefined
          ? ' (the unpublished count needs a server database)'
          : `, ${notPublishedAtEnd} unpublished in the outbox (SQL)`),
    );
    console.log(`    event received − write response received: ${delays(concurrent, arrivals, (write) => write.responded)}`);
    console.log(
      `    relay catch-up: last event received ${(lastConcurrentArrival - lastResponse).toFixed(1)} ms after the last write's response; ` +
        `${delivered} of ${concurrent.length} delivered`,
    );
    console.log(
      `outbox events (GET /api/v1/events): ${outbox.length}; received by the consumer: ${consumed.received} (${consumed.duplicates} duplicates)`,
    );
    console.log(
      `events in the outbox never received: ${lost.length}${lost.length ? ` (outbox sequences ${lost.map((stored) => stored.sequence).join(', ')})` : ''}`,
    );
  } finally {
    await consumer.stop();
    await api?.stop();
    await database.drop();
    await deleteStreamKeys(redisUrl, stream);
    await rm(dataDir, { recursive: true, force: true });
  }
}
