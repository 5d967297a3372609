import Redis from 'ioredis';
import { StorageUnavailableError } from '@metastore/errors';
import { deleteStreamKeys, freePort, redisForTests, uniqueStreamKey, type TestRedis } from '../testing';
import { storedEventForTests } from '@metastore/events/testing';
import { fieldsOf } from './stream-entry';
import { lastSequenceKey, RedisEventStream } from './redis-event-stream.adapter';

let redis: TestRedis;
let client: Redis;
const streams: RedisEventStream[] = [];
const keys: string[] = [];

beforeAll(async () => {
  redis = await redisForTests();
  client = new Redis(redis.url);
});

afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.close()));
  await Promise.all(keys.splice(0).map((key) => deleteStreamKeys(redis.url, key)));
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

function streamFor(options: { maxLength?: number } = {}): RedisEventStream {
  const key = uniqueStreamKey();
  keys.push(key);
  const stream = new RedisEventStream({ redis: redis.url, stream: key, ...options });
  streams.push(stream);
  return stream;
}

/** The `sequence` field of every entry, oldest first. */
async function sequencesIn(stream: RedisEventStream): Promise<string[]> {
  const entries = await client.xrange(stream.stream, '-', '+');
  return entries.map(([, fields]) => fieldsOf(fields)['sequence']!);
}

describe('RedisEventStream', () => {
  it('appends each event in order with id, type, subject, sequence and the CloudEvents JSON', async () => {
    const stream = streamFor();
    const batch = [
      storedEventForTests(1, { type: 'dataset.created', subject: 'acme/weather' }),
      storedEventForTests(2, { type: 'dataset.updated', subject: 'acme/weather' }),
      storedEventForTests(3, { type: 'tag.created', subject: 'acme/weather', tag: { name: 'v1', target: 'abc' } }),
    ];
    await stream.publish(batch);
    const entries = await client.xrange(stream.stream, '-', '+');
    expect(entries.map(([, fields]) => fieldsOf(fields))).toEqual(
      batch.map(({ sequence, event }) => ({
        id: event.id,
        type: event.type,
        subject: event.subject,
        sequence,
        event: JSON.stringify(event),
      })),
    );
    expect(JSON.parse(fieldsOf(entries[2]![1])['event']!)).toEqual(batch[2]!.event);
    expect(await stream.lastPublishedSequence()).toBe('3');
    expect(await client.get(lastSequenceKey(stream.stream))).toBe('3');
  });

  it('adds nothing when a batch is published again, and only the new events of an overlapping batch', async () => {
    const stream = streamFor();
    const events = [1, 2, 3, 4, 5].map((sequence) => storedEventForTests(sequence));
    expect(await stream.append(events.slice(0, 3))).toBe(3);
    // The relay crashed after XADD, before marking the batch in the database: it sends the same batch again.
    expect(await stream.append(events.slice(0, 3))).toBe(0);
    expect(await stream.append(events.slice(1, 5))).toBe(2);
    await stream.publish(events);
    expect(await sequencesIn(stream)).toEqual(['1', '2', '3', '4', '5']);
    expect(await stream.lastPublishedSequence()).toBe('5');
  });

  it('compares sequences as integers, up to 2^53 - 1', async () => {
    const stream = streamFor();
    await stream.publish([storedEventForTests(9)]);
    // As strings, '10' < '9': the event would be skipped.
    await stream.publish([storedEventForTests(10)]);
    await stream.publish([storedEventForTests('9007199254740990'), storedEventForTests('9007199254740991')]);
    await stream.publish([storedEventForTests('9007199254740990')]);
    expect(await sequencesIn(stream)).toEqual(['9', '10', '9007199254740990', '9007199254740991']);
  });

  it('refuses a batch out of order or with a sequence that is not an integer below 2^53, adding nothing', async () => {
    const stream = streamFor();
    await expect(stream.publish([storedEventForTests(2), storedEventForTests(1)])).rejects.toThrow('must increase');
    await expect(stream.publish([storedEventForTests('9007199254740993')])).rejects.toThrow('below 2^53');
    await expect(stream.publish([storedEventForTests('1.5')])).rejects.toThrow(RangeError);
    await expect(stream.publish([storedEventForTests('-1')])).rejects.toThrow(RangeError);
    expect(await client.exists(stream.stream)).toBe(0);
    await stream.publish([]);
    expect(await stream.lastPublishedSequence()).toBeUndefined();
  });

  it('trims the stream to about MAXLEN entries', async () => {
    const stream = streamFor({ maxLength: 100 });
    for (let first = 1; first <= 1000; first += 100) {
      await stream.publish(Array.from({ length: 100 }, (_, index) => storedEventForTests(first + index)));
    }
    const length = await client.xlen(stream.stream);
    // `~` trims whole macro nodes (stream-node-max-entries, 100 by default): at least MAXLEN stay, a node more at most.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(250);
    const sequences = await sequencesIn(stream);
    expect(sequences.at(-1)).toBe('1000');
    expect(Number(sequences[0])).toBe(1000 - length + 1);
  });

  it('publishes right after construction (the first command waits for the connection)', async () => {
    const stream = streamFor();
    await stream.publish([storedEventForTests(1)]);
    expect(await client.xlen(stream.stream)).toBe(1);
  });

  it('leaves a client passed in open on close()', async () => {
    const key = uniqueStreamKey();
    keys.push(key);
    const own = new Redis(redis.url);
    const stream = new RedisEventStream({ redis: own, stream: key });
    await stream.publish([storedEventForTests(1)]);
    await stream.close();
    expect(await own.xlen(key)).toBe(1);
    own.disconnect();
  });

  it('rejects promptly, with the password redacted, when Redis is unreachable', async () => {
    const port = await freePort();
    const password = 's3cret-Pa55';
    const logged: string[] = [];
    const stream = new RedisEventStream({
      redis: `redis://metastore:${password}@127.0.0.1:${port}/0`,
      stream: uniqueStreamKey(),
      logger: { info: () => undefined, warn: (object, message) => logged.push(`${message} ${JSON.stringify(object)}`) },
    });
    streams.push(stream);
    const started = Date.now();
    const failure = await stream.publish([storedEventForTests(1)]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(Date.now() - started).toBeLessThan(2500);
    expect(failure).toBeInstanceOf(StorageUnavailableError);
    const error = failure as StorageUnavailableError;
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message).toContain(`redis://metastore:***@127.0.0.1:${port}/0`);
    expect(error.message).not.toContain(password);
    expect(JSON.stringify(error.cause)).not.toContain(password);
    await expect(stream.lastPublishedSequence()).rejects.toThrow(StorageUnavailableError);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(password);
  });
});
