import Redis from 'ioredis';
import type { MetastoreEvent } from '@metastore/events';
import { RedisEventStream, StreamConsumer } from '@metastore/events-redis';
import { startRedisServer, type RedisServerProcess } from '@metastore/events-redis/testing';
import { startTestServer, type TestServer } from '../testing/test-server';

const STREAM = 'metastore:events';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}

/** The events in the stream, oldest first. */
async function streamEvents(url: string): Promise<MetastoreEvent[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const entries = (await client.xrange(STREAM, '-', '+')) as [string, string[]][];
    return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]!) as MetastoreEvent);
  } finally {
    client.disconnect();
  }
}

describe('metadata-api: events reach Redis through the outbox, and none is lost while Redis is down', () => {
  let redis: RedisServerProcess;
  let stream: RedisEventStream;
  let server: TestServer;
  const api = () => server.http();
  const create = (name: string) =>
    api()
      .post('/api/v1/datasets')
      .send({ owner: 'acme', name, descriptor: { name, resources: [{ name: 'a', path: 'a.csv' }] } });

  beforeAll(async () => {
    redis = await startRedisServer();
    stream = new RedisEventStream({ redis: redis.url, stream: STREAM });
    server = await startTestServer({}, undefined, { stream });
    server.dependencies.relay!.start();
  });
  afterAll(async () => {
    await server?.close();
    await stream?.close();
    await redis?.stop();
  });

  it('delivers each write to a consumer group through the relay', async () => {
    const received: MetastoreEvent[] = [];
    const consumer = new StreamConsumer({
      redis: redis.url,
      stream: STREAM,
      group: 'indexer',
      blockMs: 200,
      handler: async (event) => void received.push(event),
    });
    await consumer.start();
    try {
      expect((await create('first')).status).toBe(201);
      await waitFor(async () => received.length === 1);
      expect(received[0]).toMatchObject({ type: 'dataset.created', subject: 'acme/first' });
    } finally {
      await consumer.stop();
    }
  });

  it('keeps writing while Redis is down; the outbox publishes every event, in order and once, when it returns', async () => {
    await redis.stop();
    for (const name of ['while-down-1', 'while-down-2']) expect((await create(name)).status).toBe(201);
    expect(
      (
        await api()
          .patch('/api/v1/datasets/acme/while-down-1')
          .set('Content-Type', 'application/merge-patch+json')
          .send({ title: 'edited while down' })
      ).status,
    ).toBe(200);
    expect(await server.dependencies.outbox.pendingCount()).toBe(3);
    expect((await api().get('/metrics')).text).toMatch(/^metastore_outbox_pending_events 3$/m);

    redis = await startRedisServer({ port: redis.port });
    // A fresh server has an empty stream: everything from the outbox's pending rows is published again, nothing else.
    await waitFor(async () => (await server.dependencies.outbox.pendingCount()) === 0);
    const events = await streamEvents(redis.url);
    expect(events.map((event) => `${event.type} ${event.subject}`)).toEqual([
      'dataset.created acme/while-down-1',
      'dataset.created acme/while-down-2',
      'dataset.updated acme/while-down-1',
    ]);
    // The relay's retries added nothing twice; the feed has all four events.
    const feed = await api().get('/api/v1/events');
    expect(feed.body.items.map((item: { event: MetastoreEvent }) => item.event.subject)).toEqual([
      'acme/first',
      'acme/while-down-1',
      'acme/while-down-2',
      'acme/while-down-1',
    ]);
  });
});
