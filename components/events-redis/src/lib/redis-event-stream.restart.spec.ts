import Redis from 'ioredis';
import { StorageUnavailableError } from '@metastore/errors';
import { startRedisServer, uniqueStreamKey, type RedisServerProcess } from '../testing';
import { storedEventForTests } from '@metastore/events/testing';
import { RedisEventStream } from './redis-event-stream.adapter';
import { StreamConsumer } from './stream-consumer.service';
import { fieldsOf } from './stream-entry';

// This file stops Redis on purpose, so it runs its own redis-server child process, never the shared server.
let server: RedisServerProcess | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Publishes like the outbox relay: retries (with a short pause) until the stream takes the batch. */
async function publishUntilAccepted(
  stream: RedisEventStream,
  batch: Parameters<RedisEventStream['publish']>[0],
  withinMs: number,
): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (let attempts = 1; ; attempts += 1) {
    try {
      await stream.publish(batch);
      return attempts;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('RedisEventStream when Redis stops and comes back', () => {
  it('rejects publishes while Redis is down and publishes again once it is back, on the same client', async () => {
    server = await startRedisServer();
    const { port, url } = server;
    const key = uniqueStreamKey();
    const stream = new RedisEventStream({ redis: url, stream: key });
    try {
      await stream.publish([storedEventForTests(1), storedEventForTests(2)]);

      await server.stop();
      const started = Date.now();
      await expect(stream.publish([storedEventForTests(3)])).rejects.toThrow(StorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(2500);
      // Still down: every attempt fails fast instead of queueing up.
      await expect(stream.publish([storedEventForTests(3)])).rejects.toThrow(/127\.0\.0\.1/);

      server = await startRedisServer({ port });
      const attempts = await publishUntilAccepted(stream, [storedEventForTests(3), storedEventForTests(4)], 10_000);
      expect(attempts).toBeLessThan(20);
      await stream.publish([storedEventForTests(5)]);

      // The restarted server kept nothing (no persistence): the stream holds what was published since, once each.
      const reader = new Redis(url);
      const entries = await reader.xrange(key, '-', '+');
      reader.disconnect();
      expect(entries.map(([, fields]) => fieldsOf(fields)['sequence'])).toEqual(['3', '4', '5']);
      expect(await stream.lastPublishedSequence()).toBe('5');
    } finally {
      await stream.close();
    }
  });

  it('lets a StreamConsumer carry on after Redis restarts (its group is made again)', async () => {
    server = await startRedisServer();
    const { port, url } = server;
    const key = uniqueStreamKey();
    const stream = new RedisEventStream({ redis: url, stream: key });
    const handled: string[] = [];
    const consumer = new StreamConsumer({
      redis: url,
      stream: key,
      group: 'search indexer',
      blockMs: 200,
      handler: async (_event, meta) => {
        handled.push(meta.sequence);
      },
    });
    try {
      await consumer.start();
      await stream.publish([storedEventForTests(1)]);
      await waitFor(() => handled.length === 1);

      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 500));
      server = await startRedisServer({ port });
      await publishUntilAccepted(stream, [storedEventForTests(2)], 10_000);
      await waitFor(() => handled.length === 2);
      expect(handled).toEqual(['1', '2']);
    } finally {
      await consumer.stop();
      await stream.close();
    }
  });
});

async function waitFor(condition: () => boolean, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
