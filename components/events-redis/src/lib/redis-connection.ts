import Redis from 'ioredis';
import { StorageUnavailableError } from '@metastore/errors';

/** Where connection trouble is reported: once when a connection is lost, once when it is back. */
export interface RedisConnectionLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** How a client fails while Redis is unreachable. */
export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST` and in log lines. */
  readonly name: string;
  /** Longest wait for a connection or a reply before a command rejects (blocking reads excepted). */
  readonly timeoutMs: number;
  /** For a connection that runs `XREADGROUP BLOCK`: no command timeout, and a client-side guard of the block time plus grace instead. */
  readonly blocking?: boolean;
  readonly logger?: RedisConnectionLogger;
}

/** `url` with its password replaced by `***`, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
}

/** The URL's password as written in it and as sent to Redis (percent-decoded); empty when it has none. */
function passwordForms(url: string): string[] {
  try {
    const written = new URL(url).password;
    return written === '' ? [] : [...new Set([written, decodeURIComponent(written)])];
  } catch {
    return [];
  }
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('***'), text);
}

/**
 * `error` without the URL's password: ioredis reply errors carry the failed command's arguments
 * (`AUTH` and `HELLO ... AUTH` hold the password), so such a cause is replaced by a plain copy.
 */
export function scrubRedisError(error: unknown, url: string | undefined): Error {
  const secrets = url === undefined ? [] : passwordForms(url);
  const original = error instanceof Error ? error : new Error(String(error));
  if (secrets.length === 0) return original;
  let serialized: string;
  try {
    serialized = `${JSON.stringify({ ...original })} ${original.message} ${original.stack ?? ''}`;
  } catch {
    serialized = secrets[0]!;
  }
  if (!secrets.some((secret) => serialized.includes(secret))) return original;
  const copy = new Error(redact(original.message, secrets));
  copy.name = original.name;
  return copy;
}

/** A `StorageUnavailableError` saying what failed at which server (password redacted), with a scrubbed cause. */
export function redisUnavailable(what: string, url: string | undefined, error: unknown): StorageUnavailableError {
  const cause = scrubRedisError(error, url);
  return new StorageUnavailableError(`${what}${url === undefined ? '' : ` at ${redactRedisUrl(url)}`} failed: ${cause.message}`, { cause });
}

/**
 * An ioredis client that fails fast while Redis is unreachable instead of queueing commands forever:
 * at most one reconnection attempt per queued command and a reply timeout, while it keeps reconnecting
 * in the background (every 100 ms to 2 s) so that later commands succeed once Redis is back.
 */
export function createRedisClient(url: string, options: RedisConnectionOptions): Redis {
  const client = new Redis(url, {
    connectionName: options.name,
    connectTimeout: options.timeoutMs,
    maxRetriesPerRequest: 1,
    // After a refused connection ioredis still arms this timer on close and it holds the process (2 s by default).
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    // A command timeout would cut every long XREADGROUP BLOCK short; ioredis 6's `blockingTimeout` instead rejects a
    // blocking read only after its own BLOCK time plus the grace, so a dead socket cannot hang the consumer forever.
    ...(options.blocking
      ? { blockingTimeout: options.timeoutMs, blockingTimeoutGrace: options.timeoutMs }
      : { commandTimeout: options.timeoutMs }),
  });
  let lost = false;
  client.on('error', (error: unknown) => {
    if (lost) return;
    lost = true;
    options.logger?.warn(
      { err: scrubRedisError(error, url), redis: redactRedisUrl(url), connection: options.name },
      'Redis connection lost',
    );
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    options.logger?.info({ redis: redactRedisUrl(url), connection: options.name }, 'Redis connection restored');
  });
  return client;
}
