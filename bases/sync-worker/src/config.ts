import bytes from 'bytes';
import { z } from 'zod';
import { parseCatalogDatabaseConfig, type CatalogDatabaseConfig } from '@metastore/catalog-postgres';
import { ConfigurationError } from '@metastore/errors';
import { parseRedisEventsConfig, type RedisEventsConfig } from '@metastore/events-redis';
import { parseGitHubStorageConfig, type GitHubStorageConfig } from '@metastore/storage-github';
import { parseLocalGitStorageConfig, type LocalGitStorageConfig } from '@metastore/storage-local';

/** Log levels pino knows. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** What a catalog job needs (the CLI reads the same variables): storage, the catalog database, how events are stamped and where they go. */
export interface CatalogJobConfig {
  readonly logLevel: LogLevel;
  /** The catalog's PostgreSQL database (the embedded one belongs to the API process): `DATABASE_URL` is required. */
  readonly database: CatalogDatabaseConfig & { readonly url: string };
  /** The Prisma config whose migrations are applied at start (`METASTORE_PRISMA_CONFIG`, as for the API); default: the source tree's. */
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
  /** `once`: one reconcile and one drain of the outbox, then exit (a Kubernetes CronJob); `loop`: every `intervalSeconds` until SIGTERM. */
  readonly mode: 'once' | 'loop';
  readonly intervalSeconds: number;
}

const byteSize = z.string().transform((value, context) => {
  const parsed = bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
    context.addIssue({ code: 'custom', message: `'${value}' is not a size such as 1mb or 512kb` });
    return z.NEVER;
  }
  return parsed;
});

const jobSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STORAGE: z.enum(['local', 'github']).default('local'),
  METASTORE_PUBLIC_URL: z.url().default('http://localhost:3000'),
  METASTORE_EVENT_DESCRIPTOR_LIMIT: byteSize.default(256 * 1024),
});

const workerSchema = z.object({
  SYNC_MODE: z.enum(['once', 'loop']).default('once'),
  SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
});

/** Unset and empty are alike (compose files and Secrets often carry `NAME=`). */
function present(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Parses everything but the schedule; throws a ConfigurationError naming every bad variable (never a value: some are secrets). */
export function loadCatalogJobConfig(env: Record<string, string | undefined>): CatalogJobConfig {
  const values = present(env);
  const result = jobSchema.safeParse(values);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const database = attempt(() => parseCatalogDatabaseConfig(env));
  if (database && database.url === undefined) problems.push('DATABASE_URL: required, the catalog database (postgresql://user:password@host:5432/database)');
  const local = attempt(() => parseLocalGitStorageConfig(env));
  const github = values['STORAGE'] === 'github' ? attempt(() => parseGitHubStorageConfig(env)) : undefined;
  const redis = values['REDIS_URL'] !== undefined ? attempt(() => parseRedisEventsConfig(env)) : undefined;
  if (!result.success || !local || !database?.url || problems.length > 0) throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  const parsed = result.data;
  return {
    logLevel: parsed.LOG_LEVEL,
    database: { ...database, url: database.url },
    ...(values['METASTORE_PRISMA_CONFIG'] ? { prismaConfigPath: values['METASTORE_PRISMA_CONFIG'] } : {}),
    events: { publicUrl: parsed.METASTORE_PUBLIC_URL.replace(/\/+$/, ''), maxDescriptorBytes: parsed.METASTORE_EVENT_DESCRIPTOR_LIMIT },
    ...(redis ? { redis } : {}),
    storage: parsed.STORAGE === 'github' && github ? { backend: 'github', local, github } : { backend: 'local', local },
  };
}

/** Parses and validates the worker's environment; throws a ConfigurationError naming every bad variable. */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const problems: string[] = [];
  let job: CatalogJobConfig | undefined;
  try {
    job = loadCatalogJobConfig(env);
  } catch (error) {
    problems.push((error as Error).message.replace(/^invalid configuration: /, ''));
  }
  const result = workerSchema.safeParse(present(env));
  if (!result.success) problems.push(...result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  if (!job || !result.success) throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  return { ...job, mode: result.data.SYNC_MODE, intervalSeconds: result.data.SYNC_INTERVAL_SECONDS };
}
