import Redis from 'ioredis';
import type { MetastoreEvent } from '@metastore/events';
import { deleteStreamKeys, redisForTests, uniqueStreamKey, type TestRedis } from '../testing';
import { storedEventForTests } from '@metastore/events/testing';
import { RedisEventStream } from './redis-event-stream.adapter';
import { fieldsOf } from './stream-entry';
import { StreamConsumer, type DeliveryMeta, type StreamConsumerOptions } from './stream-consumer.service';

let redis: TestRedis;
let client: Redis;
const consumers: StreamConsumer[] = [];
const publishers: RedisEventStream[] = [];
const keys: string[] = [];

beforeAll(async () => {
  redis = await redisForTests();
  client = new Redis(redis.url);
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  await Promise.all(publishers.splice(0).map((publisher) => publisher.close()));
  await Promise.all(keys.splice(0).map((key) => deleteStreamKeys(redis.url, key)));
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

interface Handled {
  readonly sequence: string;
  readonly event: MetastoreEvent;
  readonly meta: DeliveryMeta;
  readonly consumer: string;
}

/** A fresh stream with a publisher. */
function freshStream(): { key: string; publish(...sequences: number[]): Promise<void> } {
  const key = uniqueStreamKey();
  keys.push(key);
  const publisher = new RedisEventStream({ redis: redis.url, stream: key });
  publishers.push(publisher);
  return { key, publish: (...sequences) => publisher.publish(sequences.map((sequence) => storedEventForTests(sequence))) };
}

type ConsumerSettings = Omit<StreamConsumerOptions, 'redis' | 'stream' | 'group' | 'handler'> &
  Partial<Pick<StreamConsumerOptions, 'group' | 'handler'>>;

/** A consumer of `key` with short timings (tests wait for reclaims in milliseconds, not minutes). */
function consumerOf(key: string, settings: ConsumerSettings & { handled?: Handled[] } = {}): StreamConsumer {
  const { handled, ...options } = settings;
  const consumer: StreamConsumer = new StreamConsumer({
    redis: redis.url,
    stream: key,
    group: 'indexers',
    blockMs: 200,
    minIdleMs: 200,
    claimIntervalMs: 100,
    handler: async (event, meta) => {
      handled?.push({ sequence: meta.sequence, event, meta, consumer: consumer.consumer });
    },
    ...options,
  });
  consumers.push(consumer);
  return consumer;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Number of entries delivered to the group and not yet acknowledged. */
async function pendingCount(key: string, group = 'indexers'): Promise<number> {
  const summary = (await client.xpending(key, group)) as unknown[];
  return Number(summary[0]);
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

describe('StreamConsumer', () => {
  it('hands every event to the handler in order, once, and acknowledges it', async () => {
    const stream = freshStream();
    await stream.publish(1, 2, 3);
    const handled: Handled[] = [];
    const consumer = consumerOf(stream.key, { handled, consumer: 'indexer-1' });
    await consumer.start();
    await waitFor(() => handled.length === 3, 'the published events');
    await stream.publish(4, 5);
    await waitFor(() => handled.length === 5, 'events published while it runs');
    expect(handled.map((item) => item.sequence)).toEqual(['1', '2', '3', '4', '5']);
    expect(handled.map((item) => item.meta.deliveryCount)).toEqual([1, 1, 1, 1, 1]);
    for (const item of handled) expect(item.meta.streamId).toMatch(/^\d+-\d+$/);
    expect(handled[0]!.event.type).toBe('dataset.updated');
    await waitFor(async () => (await pendingCount(stream.key)) === 0, 'every event acknowledged');
  });

  it('starts a new group at the end of the stream when asked (startId $)', async () => {
    const stream = freshStream();
    await stream.publish(1, 2);
    const handled: Handled[] = [];
    await consumerOf(stream.key, { handled, startId: '$' }).start();
    await stream.publish(3);
    await waitFor(() => handled.length === 1, 'the event published after start');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled.map((item) => item.sequence)).toEqual(['3']);
  });

  it('retries an event whose handler failed, after minIdleMs, with a higher delivery count', async () => {
    const stream = freshStream();
    await stream.publish(1, 2, 3);
    const handled: Handled[] = [];
    const attempts: string[] = [];
    let failed = false;
    const consumer: StreamConsumer = consumerOf(stream.key, {
      handler: async (event, meta) => {
        attempts.push(meta.sequence);
        if (meta.sequence === '2' && !failed) {
          failed = true;
          throw new Error('search index unavailable');
        }
        handled.push({ sequence: meta.sequence, event, meta, consumer: consumer.consumer });
      },
    });
    await consumer.start();
    await waitFor(() => handled.length === 3, 'all three events, one of them retried');
    expect(attempts).toEqual(['1', '2', '3', '2']);
    expect(handled.find((item) => item.sequence === '2')!.meta.deliveryCount).toBe(2);
    await waitFor(async () => (await pendingCount(stream.key)) === 0, 'every event acknowledged');
    expect(await client.exists(consumer.deadLetterStream)).toBe(0);
  });

  it('reclaims the entries of a consumer that crashed before acknowledging them (XAUTOCLAIM)', async () => {
    const stream = freshStream();
    await stream.publish(1, 2, 3);
    // The crashed member: its read delivered the entries to it, then its process died without XACK.
    const crashed = new Redis(redis.url);
    await crashed.xgroup('CREATE', stream.key, 'indexers', '0', 'MKSTREAM');
    await crashed.xreadgroup('GROUP', 'indexers', 'crashed-member', 'COUNT', 10, 'STREAMS', stream.key, '>');
    crashed.disconnect();
    expect(await pendingCount(stream.key)).toBe(3);

    const handled: Handled[] = [];
    await consumerOf(stream.key, { handled, consumer: 'survivor', minIdleMs: 300 }).start();
    await waitFor(() => handled.length === 3, 'the reclaimed events');
    expect(handled.map((item) => [item.sequence, item.meta.deliveryCount])).toEqual([
      ['1', 2],
      ['2', 2],
      ['3', 2],
    ]);
    await waitFor(async () => (await pendingCount(stream.key)) === 0, 'every event acknowledged');
  });

  it('lets another member take over an event whose handler never finishes', async () => {
    const stream = freshStream();
    await stream.publish(1);
    const stuck = deferred();
    const stuckStarted = deferred();
    const first = consumerOf(stream.key, {
      consumer: 'stuck',
      minIdleMs: 60_000,
      handler: async () => {
        stuckStarted.resolve();
        await stuck.promise;
      },
    });
    await first.start();
    await stuckStarted.promise;

    const handled: Handled[] = [];
    await consumerOf(stream.key, { handled, consumer: 'healthy', minIdleMs: 300 }).start();
    await waitFor(() => handled.length === 1, 'the event taken over');
    expect(handled[0]!.meta.deliveryCount).toBe(2);
    expect(handled[0]!.consumer).toBe('healthy');
    await waitFor(async () => (await pendingCount(stream.key)) === 0, 'the event acknowledged');
    stuck.resolve();
  });

  it('moves an event to the dead-letter stream after maxDeliveries failed attempts, with error, deliveries and consumer', async () => {
    const stream = freshStream();
    await stream.publish(1, 2, 3);
    const handled: Handled[] = [];
    const attempts: number[] = [];
    const errors: object[] = [];
    const consumer: StreamConsumer = consumerOf(stream.key, {
      consumer: 'indexer-1',
      maxDeliveries: 3,
      minIdleMs: 50,
      claimIntervalMs: 50,
      logger: { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (object) => errors.push(object) },
      handler: async (event, meta) => {
        if (meta.sequence === '2') {
          attempts.push(meta.deliveryCount);
          throw new Error(`cannot index ${event.subject}`);
        }
        handled.push({ sequence: meta.sequence, event, meta, consumer: consumer.consumer });
      },
    });
    await consumer.start();
    await waitFor(async () => (await client.xlen(consumer.deadLetterStream)) === 1, 'a dead letter');
    expect(consumer.deadLetterStream).toBe(`${stream.key}:dead`);
    expect(attempts).toEqual([1, 2, 3]);
    expect(handled.map((item) => item.sequence)).toEqual(['1', '3']);
    await waitFor(async () => (await pendingCount(stream.key)) === 0, 'the dead letter acknowledged');

    const [original] = await client.xrange(stream.key, '-', '+', 'COUNT', 2).then((entries) => entries.slice(1));
    const [letter] = await client.xrange(consumer.deadLetterStream, '-', '+');
    const fields = fieldsOf(letter![1]);
    expect(fields).toEqual({
      ...fieldsOf(original![1]),
      error: 'cannot index acme/weather',
      deliveries: '3',
      consumer: 'indexer-1',
      group: 'indexers',
      streamId: original![0],
    });
    expect(errors).toEqual([expect.objectContaining({ streamId: original![0], deliveries: 3 })]);
  });

  it('dead-letters without handling an entry delivered more than maxDeliveries times and never acknowledged', async () => {
    const stream = freshStream();
    await stream.publish(1);
    // A poison event that kills its consumer each time: three deliveries, no acknowledgement.
    const crashing = new Redis(redis.url);
    await crashing.xgroup('CREATE', stream.key, 'indexers', '0', 'MKSTREAM');
    await crashing.xreadgroup('GROUP', 'indexers', 'crashing', 'STREAMS', stream.key, '>');
    await crashing.xreadgroup('GROUP', 'indexers', 'crashing', 'STREAMS', stream.key, '0');
    await crashing.xreadgroup('GROUP', 'indexers', 'crashing', 'STREAMS', stream.key, '0');
    crashing.disconnect();

    const handled: Handled[] = [];
    const consumer = consumerOf(stream.key, { handled, maxDeliveries: 3, minIdleMs: 50 });
    await consumer.start();
    await waitFor(async () => (await client.xlen(consumer.deadLetterStream)) === 1, 'a dead letter');
    const [letter] = await client.xrange(consumer.deadLetterStream, '-', '+');
    expect(fieldsOf(letter![1])).toMatchObject({ sequence: '1', deliveries: '4', error: 'not acknowledged after 3 deliveries' });
    expect(handled).toEqual([]);
    expect(await pendingCount(stream.key)).toBe(0);
  });

  it('dead-letters a malformed entry at once', async () => {
    const stream = freshStream();
    await client.xadd(stream.key, '*', 'id', 'x', 'type', 'dataset.updated', 'sequence', '1', 'event', '{not json');
    await stream.publish(2);
    const handled: Handled[] = [];
    const consumer = consumerOf(stream.key, { handled });
    await consumer.start();
    await waitFor(() => handled.length === 1, 'the well-formed event');
    await waitFor(async () => (await client.xlen(consumer.deadLetterStream)) === 1, 'a dead letter');
    const [letter] = await client.xrange(consumer.deadLetterStream, '-', '+');
    expect(fieldsOf(letter![1])).toMatchObject({ id: 'x', deliveries: '1', error: expect.stringMatching(/^malformed entry/) });
    expect(await pendingCount(stream.key)).toBe(0);
  });

  it('stop() finishes and acknowledges the event in hand; the rest of the batch resumes at the next start', async () => {
    const stream = freshStream();
    await stream.publish(1, 2, 3);
    const started = deferred();
    const finished: string[] = [];
    const first = consumerOf(stream.key, {
      consumer: 'indexer-1',
      handler: async (_event, meta) => {
        started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished.push(meta.sequence);
      },
    });
    await first.start();
    await started.promise;
    await first.stop();
    expect(finished).toEqual(['1']);
    // Events 2 and 3 were read in the same batch: they stay pending for indexer-1, event 1 is acknowledged.
    const pending = (await client.xpending(stream.key, 'indexers', '-', '+', 10)) as [string, string, number, number][];
    expect(pending.map(([, consumer]) => consumer)).toEqual(['indexer-1', 'indexer-1']);

    const handled: Handled[] = [];
    await consumerOf(stream.key, { handled, consumer: 'indexer-1', minIdleMs: 60_000 }).start();
    await waitFor(() => handled.length === 2, 'the resumed events');
    expect(handled.map((item) => [item.sequence, item.meta.deliveryCount])).toEqual([
      ['2', 2],
      ['3', 2],
    ]);
    await waitFor(async () => (await pendingCount(stream.key)) === 0, 'every event acknowledged');
  });

  it('stop() ends a blocked read at once and reads nothing more', async () => {
    const stream = freshStream();
    const handled: Handled[] = [];
    const consumer = consumerOf(stream.key, { handled, blockMs: 20_000, claimIntervalMs: 60_000 });
    await consumer.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = Date.now();
    await consumer.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    await stream.publish(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(handled).toEqual([]);
    const groups = (await client.xinfo('GROUPS', stream.key)) as unknown[][];
    expect(fieldsOf(groups[0] as string[])['pending']).toBe(0);
  });

  it('makes its group again when the stream is deleted under it', async () => {
    const stream = freshStream();
    await stream.publish(1);
    const handled: Handled[] = [];
    await consumerOf(stream.key, { handled }).start();
    await waitFor(() => handled.length === 1, 'the first event');
    await client.del(stream.key);
    await stream.publish(2);
    await waitFor(() => handled.length === 2, 'an event published after the stream was deleted');
    expect(handled[1]!.sequence).toBe('2');
  });

  it('fails to start, promptly and with the password redacted, when Redis is unreachable', async () => {
    const consumer = new StreamConsumer({
      redis: 'redis://:hunter2-secret@127.0.0.1:1/0',
      stream: uniqueStreamKey(),
      group: 'indexers',
      handler: async () => undefined,
    });
    const started = Date.now();
    const failure = await consumer.start().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(Date.now() - started).toBeLessThan(2500);
    expect(failure?.message).toContain('redis://:***@127.0.0.1:1/0');
    expect(failure?.message).not.toContain('hunter2');
  });
});
