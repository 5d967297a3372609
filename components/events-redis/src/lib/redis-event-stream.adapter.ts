import type Redis from 'ioredis';
import type { EventStream, StoredEvent } from '@metastore/events';
import { createRedisClient, redisUnavailable, type RedisConnectionLogger } from './redis-connection';
import { DEFAULT_EVENTS_MAX_LENGTH, DEFAULT_EVENTS_STREAM } from './redis-events.config';

/** Settings of a {@link RedisEventStream}. */
export interface RedisEventStreamOptions {
  /** A Redis URL (the stream opens, and `close()` closes, its own connection) or a client the caller owns and closes. */
  readonly redis: string | Redis;
  /** The stream key (default `metastore:events`). */
  readonly stream?: string;
  /** Approximate number of entries kept (`XADD MAXLEN ~`, default 100000). */
  readonly maxLength?: number;
  /** How long a publish may wait for Redis before it rejects (default 2000 ms); only for a connection made from a URL. */
  readonly timeoutMs?: number;
  readonly logger?: RedisConnectionLogger;
}

/** The key beside `stream` that holds the sequence of the last event appended to it. */
export function lastSequenceKey(stream: string): string {
  return `${stream}:last-sequence`;
}

const PUBLISH_COMMAND = 'metastorePublishEvents';

// KEYS[1] stream, KEYS[2] last published sequence; ARGV[1] MAXLEN, then per event: sequence, id, type, subject, JSON.
// Lua numbers are doubles: exact for sequences below 2^53. The last sequence is set after each XADD so that a
// script failing halfway (scripts are not rolled back) still records what it appended.
const PUBLISH_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[2]) or '-1')
local appended = 0
for i = 2, #ARGV, 5 do
  local sequence = tonumber(ARGV[i])
  if sequence > last then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
      'id', ARGV[i + 1], 'type', ARGV[i + 2], 'subject', ARGV[i + 3], 'sequence', ARGV[i], 'event', ARGV[i + 4])
    redis.call('SET', KEYS[2], ARGV[i])
    last = sequence
    appended = appended + 1
  end
end
return appended
`;

type PublishingClient = Redis & {
  [PUBLISH_COMMAND](stream: string, lastSequence: string, maxLength: number, ...fields: string[]): Promise<number>;
};

const SEQUENCE = /^(0|[1-9][0-9]{0,15})$/;

/** Checks that sequences are decimal integers below 2^53, strictly increasing (the relay publishes in order). */
function checkSequences(events: readonly StoredEvent[]): void {
  let previous = -1;
  for (const { sequence } of events) {
    const value = Number(sequence);
    if (!SEQUENCE.test(sequence) || !Number.isSafeInteger(value)) {
      throw new RangeError(`event sequence '${sequence}' is not a decimal integer below 2^53`);
    }
    if (value <= previous) throw new RangeError(`event sequences must increase within a batch: ${sequence} follows ${previous}`);
    previous = value;
  }
}

/**
 * `EventStream` on a Redis stream. Each batch is one Lua script: events whose sequence is not above the
 * last one appended are skipped, the others are appended (`XADD MAXLEN ~`, automatic IDs) with fields
 * `id`, `type`, `subject`, `sequence` and `event` (the CloudEvents JSON), and the last sequence is kept
 * in `<stream>:last-sequence`. A batch retried after a crash therefore adds nothing twice.
 */
export class RedisEventStream implements EventStream {
  /** The stream key. */
  readonly stream: string;
  private readonly maxLength: number;
  private readonly client: PublishingClient;
  private readonly ownsClient: boolean;
  /** The Redis URL, when the stream was given one (for redacted messages). */
  private readonly url: string | undefined;

  constructor(options: RedisEventStreamOptions) {
    this.stream = options.stream ?? DEFAULT_EVENTS_STREAM;
    this.maxLength = options.maxLength ?? DEFAULT_EVENTS_MAX_LENGTH;
    this.ownsClient = typeof options.redis === 'string';
    const client =
      typeof options.redis === 'string'
        ? createRedisClient(options.redis, {
            name: 'metastore-events-publisher',
            timeoutMs: options.timeoutMs ?? 2000,
            logger: options.logger,
          })
        : options.redis;
    this.url = typeof options.redis === 'string' ? options.redis : undefined;
    if (!(PUBLISH_COMMAND in client)) client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.client = client as PublishingClient;
  }

  /** Appends the events not yet in the stream, in order (the `EventStream` port). */
  async publish(events: readonly StoredEvent[]): Promise<void> {
    await this.append(events);
  }

  /** Like `publish`, resolving to how many events were appended (0 for a batch published before). */
  async append(events: readonly StoredEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    checkSequences(events);
    const fields = events.flatMap(({ sequence, event }) => [sequence, event.id, event.type, event.subject, JSON.stringify(event)]);
    try {
      return await this.client[PUBLISH_COMMAND](this.stream, lastSequenceKey(this.stream), this.maxLength, ...fields);
    } catch (error) {
      throw redisUnavailable(`publishing ${events.length} events to Redis stream '${this.stream}'`, this.url, error);
    }
  }

  /** The sequence of the last event appended, or undefined before the first. */
  async lastPublishedSequence(): Promise<string | undefined> {
    try {
      return (await this.client.get(lastSequenceKey(this.stream))) ?? undefined;
    } catch (error) {
      throw redisUnavailable(`reading the last sequence of Redis stream '${this.stream}'`, this.url, error);
    }
  }

  /** Closes the connection this stream opened (a client passed in is left to its owner). */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
