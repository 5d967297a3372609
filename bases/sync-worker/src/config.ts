import path from 'node:path';
import bytes from 'bytes';
import { z } from 'zod';
import { parseCatalogDatabaseConfig, type CatalogDatabaseConfig } from '@metastore/catalog-postgres';
import { ConfigurationError } from '@metastore/errors';
import { DEFAULT_MAX_DESCRIPTOR_BYTES } from '@metastore/events';
import { parseRedisEventsConfig, type RedisEventsConfig } from '@metastore/events-redis';
import { parseGitHubStorageConfig, type GitHubStorageConfig } from '@metastore/storage-github';
import { parseLocalGitStorageConfig, type LocalGitStorageConfig } from '@metastore/storage-local';

/** Log levels pino knows. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * What a catalog job (the sync worker, a `metastore` command) needs: storage, the catalog database, how events are stamped and where they
 * go.
 */
export interface CatalogJobConfig {
  readonly logLevel: LogLevel;
  /** The catalog database: PostgreSQL at `url`, or (without one) the embedded database in `embeddedDir`, the API's `<data dir>/catalog`. */
  readonly database: CatalogDatabaseConfig & { readonly embeddedDir: string };
  /** The Prisma config whose migrations are applied first (`METASTORE_PRISMA_CONFIG`, as for the API); default: the source tree's. */
  readonly prismaConfigPath?: string;
  /** Events are stamped like the API's: `source` and the descriptor links of large descriptors point at its public URL. */
  readonly events: { readonly publicUrl: string; readonly maxDescriptorBytes: number };
  /** The Redis stream events are published to; without it they wait in the outbox for the API's relay. */
  readonly redis?: RedisEventsConfig;
  /** The storage backend and its settings, parsed exactly as the API parses them. */
  readonly storage:
    | { readonly backend: 'local'; readonly local: LocalGitStorageConfig }
    | { readonly backend: 'github'; readonly local: LocalGitStorageConfig; readonly github: GitHubStorageConfig };
}

/** The sync worker's configuration, read once at start-up from the environment. */
export interface WorkerConfig extends CatalogJobConfig {
  /** A PostgreSQL server is required: the worker runs beside the API, which holds the embedded database while it runs. */
  readonly database: CatalogJobConfig['database'] & { readonly url: string };
  /** `once`: one reconcile and one drain of the outbox, then exit (a Kubernetes CronJob); `loop`: every `intervalSeconds` until SIGTERM. */
  readonly mode: 'once' | 'loop';
  readonly intervalSeconds: number;
}

/**
 * The `metastore` command line's configuration: no Redis (events wait in the outbox for a relay), the embedded database without
 * `DATABASE_URL`.
 */
export type CliConfig = Omit<CatalogJobConfig, 'redis'>;

const byteSize = z.string().transform((value, context) => {
  const parsed = bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
    context.addIssue({ code: 'custom', message: `'${value}' is not a size such as 1mb or 512kb` });
    return z.NEVER;
  }
  return parsed;
});

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const jobSchema = z.object({
  STORAGE: z.enum(['local', 'github']).default('local'),
  METASTORE_PUBLIC_URL: z.url().default('http://localhost:3000'),
  METASTORE_EVENT_DESCRIPTOR_LIMIT: byteSize.default(DEFAULT_MAX_DESCRIPTOR_BYTES),
});

const workerSchema = z.object({
  SYNC_MODE: z.enum(['once', 'loop']).default('once'),
  SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
});

type Environment = Record<string, string | undefined>;

/** Unset and empty are alike (compose files and Secrets often carry `NAME=`). */
function present(env: Environment): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** `schema`'s result, or undefined with its issues added to `problems`. */
function parseSchema<T extends z.ZodType>(schema: T, values: Record<string, string>, problems: string[]): z.output<T> | undefined {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  problems.push(...result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  return undefined;
}

/** `parse()`'s result (an adapter's config parser), or undefined with its message added to `problems`. */
function attempt<T>(parse: () => T, problems: string[]): T | undefined {
  try {
    return parse();
  } catch (error) {
    problems.push((error as Error).message);
    return undefined;
  }
}

/** Every variable of a catalog job but Redis; problems are added to `problems` (never a value: some are secrets). */
function parseCatalogJob(env: Environment, defaultLogLevel: LogLevel, problems: string[]): Omit<CatalogJobConfig, 'redis'> | undefined {
  const values = present(env);
  const job = parseSchema(jobSchema.extend({ LOG_LEVEL: logLevel.default(defaultLogLevel) }), values, problems);
  const database = attempt(() => parseCatalogDatabaseConfig(env), problems);
  const local = attempt(() => parseLocalGitStorageConfig(env), problems);
  // Nobody waits on a catalog job's answer and it writes nothing to GitHub: it may wait longer for a rate limit than the API
  // (GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS).
  const github =
    values['STORAGE'] === 'github' ? attempt(() => parseGitHubStorageConfig(env, { maxRateLimitWaitSeconds: 600 }), problems) : undefined;
  if (!job || !database || !local) return undefined;
  return {
    logLevel: job.LOG_LEVEL,
    // As the API's config: its embedded catalog lives in the data directory, so a job without DATABASE_URL opens the same one.
    database: { ...database, embeddedDir: path.join(local.dataDir, 'catalog') },
    ...(values['METASTORE_PRISMA_CONFIG'] ? { prismaConfigPath: values['METASTORE_PRISMA_CONFIG'] } : {}),
    events: { publicUrl: job.METASTORE_PUBLIC_URL.replace(/\/+$/, ''), maxDescriptorBytes: job.METASTORE_EVENT_DESCRIPTOR_LIMIT },
    storage: job.STORAGE === 'github' && github ? { backend: 'github', local, github } : { backend: 'local', local },
  };
}

/** The error naming every problem found. */
function invalid(problems: readonly string[]): ConfigurationError {
  return new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
}

/** Parses and validates the worker's environment; throws a ConfigurationError naming every bad variable. */
export function loadWorkerConfig(env: Environment): WorkerConfig {
  const problems: string[] = [];
  const values = present(env);
  const job = parseCatalogJob(env, 'info', problems);
  if (values['DATABASE_URL'] === undefined) {
    problems.push(
      "DATABASE_URL: required, the catalog database (postgresql://user:password@host:5432/database); the embedded one is the API process's",
    );
  }
  const redis = values['REDIS_URL'] !== undefined ? attempt(() => parseRedisEventsConfig(env), problems) : undefined;
  const schedule = parseSchema(workerSchema, values, problems);
  const url = job?.database.url;
  if (!job || !schedule || url === undefined || problems.length > 0) throw invalid(problems);
  return {
    ...job,
    database: { ...job.database, url },
    ...(redis ? { redis } : {}),
    mode: schedule.SYNC_MODE,
    intervalSeconds: schedule.SYNC_INTERVAL_SECONDS,
  };
}

/**
 * Parses and validates the command line's environment (`LOG_LEVEL` defaults to `warn`); throws a ConfigurationError naming every bad
 * variable.
 */
export function loadCliConfig(env: Environment): CliConfig {
  const problems: string[] = [];
  const job = parseCatalogJob(env, 'warn', problems);
  if (!job || problems.length > 0) throw invalid(problems);
  return job;
}
