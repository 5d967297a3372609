import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/** Settings of the Redis event stream. */
export interface RedisEventsConfig {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url: string;
  /** The stream key events are appended to; `<stream>:last-sequence` sits beside it. */
  readonly stream: string;
  /** Approximate number of entries the stream keeps (`XADD MAXLEN ~`). */
  readonly maxLength: number;
}

/** Default Redis URL: a server on this host. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Default stream key. */
export const DEFAULT_EVENTS_STREAM = 'metastore:events';
/** Default approximate retention of the stream, in entries. */
export const DEFAULT_EVENTS_MAX_LENGTH = 100_000;

const redisUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL with a host');

/**
 * The Redis event stream's environment variables: parser, default and meaning of each (the runtime documents them in the README;
 * `secret`: a value never echoed, `documentedWith`: listed in another variable's row).
 */
export const redisEventsVariables = z.object({
  REDIS_URL: redisUrl.optional().meta({
    secret: true,
    shownDefault: '(none; the indexer: `redis://127.0.0.1:6379`)',
    description: 'publish change events to Redis Streams; unset: events wait in the outbox, readable at `/api/v1/events`',
  }),
  METASTORE_EVENTS_STREAM: z
    .string()
    .regex(/^[^\s]{1,200}$/, 'must be a key name of 1 to 200 characters without spaces')
    .default(DEFAULT_EVENTS_STREAM)
    .meta({ description: 'the stream key and its approximate retention (`XADD MAXLEN ~`)' }),
  METASTORE_EVENTS_MAXLEN: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000_000)
    .default(DEFAULT_EVENTS_MAX_LENGTH)
    .meta({ documentedWith: 'METASTORE_EVENTS_STREAM' }),
});

/** Parses the Redis event stream settings from environment-style values; throws a ConfigurationError naming each bad one. */
export function parseRedisEventsConfig(values: Record<string, string | undefined>): RedisEventsConfig {
  // Unset and empty are alike (compose files often pass `REDIS_URL=`).
  const present = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== ''));
  const result = redisEventsVariables.safeParse(present);
  if (!result.success) {
    // Never echo values: REDIS_URL may carry a password.
    throw new ConfigurationError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return {
    url: result.data.REDIS_URL ?? DEFAULT_REDIS_URL,
    stream: result.data.METASTORE_EVENTS_STREAM,
    maxLength: result.data.METASTORE_EVENTS_MAXLEN,
  };
}
