import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';
import { parseRedisEventsConfig, type RedisEventsConfig } from '@metastore/events-redis';

/** Settings of the search indexer process, read once at start-up from the environment. */
export interface IndexerConfig {
  readonly redis: RedisEventsConfig;
  /** Where the index file lives. */
  readonly dataDir: string;
  /** This process's name in the `search-indexer` group; StreamConsumer's default (`<hostname>-<pid>`) when unset. */
  readonly consumer?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const schema = z.object({
  INDEXER_DATA_DIR: z.string().min(1).default('./data/indexer'),
  INDEXER_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1 to 100 letters, digits, ., _, : or -')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Parses the indexer's settings (its own and the Redis stream's); throws a ConfigurationError naming each bad one. */
export function parseIndexerConfig(values: Record<string, string | undefined>): IndexerConfig {
  const present = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  let redis: RedisEventsConfig | undefined;
  try {
    redis = parseRedisEventsConfig(values);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (!result.success || !redis) throw new ConfigurationError(problems.join('; '));
  return {
    redis,
    dataDir: path.resolve(result.data.INDEXER_DATA_DIR),
    ...(result.data.INDEXER_CONSUMER ? { consumer: result.data.INDEXER_CONSUMER } : {}),
    logLevel: result.data.LOG_LEVEL,
  };
}
