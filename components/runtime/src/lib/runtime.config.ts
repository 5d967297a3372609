import path from 'node:path';
import { z } from 'zod';
import { jwtVariables, parseJwtConfig, type JwtConfig } from '@metastore/auth-jwt';
import { catalogDatabaseVariables, parseCatalogDatabaseConfig } from '@metastore/catalog-postgres';
import { DEFAULT_EVENTS_STREAM, parseRedisEventsConfig, redisEventsVariables, type RedisEventsConfig } from '@metastore/events-redis';
import { localGitStorageVariables, parseLocalGitStorageConfig, type LocalGitStorageConfig } from '@metastore/storage-local';
import { ConfigurationProblems, presentValues, type Environment, type EnvironmentValues, type ProcessName } from './environment';
import {
  apiAccessVariables,
  apiCatalogVariables,
  apiServerVariables,
  eventVariables,
  indexerVariables,
  logVariables,
  portVariables,
  publicUrlOf,
  webhookVariables,
  workerVariables,
  type LogLevel,
} from './runtime.variables';
import { STORAGE_BACKEND_NAMES, STORAGE_DESCRIPTION, storageBackend, type StorageBackendName } from './storage-backends';

/** `STORAGE`: which registered backend holds the datasets. */
export const storageVariables = z.object({
  STORAGE: z.enum(STORAGE_BACKEND_NAMES).default(STORAGE_BACKEND_NAMES[0]).meta({ description: STORAGE_DESCRIPTION }),
});

/** The selected storage backend and its settings (`settings`: what its registry entry parsed). */
export interface StorageSelection {
  readonly backend: StorageBackendName;
  /** The local settings: the data directory holds local state (the JWT secret, the embedded catalog, the journal) for any backend. */
  readonly local: LocalGitStorageConfig;
  readonly settings: unknown;
}

/** The catalog database: PostgreSQL at `url`, or (without one) the embedded database in `embeddedDir`, `<data dir>/catalog`. */
export interface CatalogDatabaseSettings {
  readonly url?: string;
  /** Pooled connections on a server (the embedded database always gets one). */
  readonly poolSize: number;
  readonly embeddedDir: string;
  /** The migrations' Prisma config (`METASTORE_PRISMA_CONFIG`); absent: found beside the bundle or in the source tree. */
  readonly prismaConfigPath?: string;
}

/** How events are stamped and where they go. */
export interface EventSettings {
  /** The installation's public URL: every event's `source`, and the link to a descriptor too large to embed. */
  readonly publicUrl: string;
  readonly maxDescriptorBytes: number;
  /** The Redis stream key (named in the AsyncAPI document even without Redis). */
  readonly stream: string;
  /** Absent without `REDIS_URL`: events wait in the outbox. */
  readonly redis?: RedisEventsConfig;
}

/** What every process that reads or writes datasets shares: storage, the catalog database, how events are stamped. */
export interface DatasetProcessConfig {
  readonly logLevel: LogLevel;
  readonly storage: StorageSelection;
  readonly database: CatalogDatabaseSettings;
  readonly events: EventSettings;
}

/** The API's configuration. */
export interface ApiConfig extends DatasetProcessConfig {
  readonly port: number;
  readonly host: string;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimitBytes: number;
  /** Refuse the common v1 descriptor forms otherwise accepted with a warning (`?strict=true` asks for it per request). */
  readonly strictValidation?: boolean;
  /** Where changes the catalog could not record wait (`journalDir`); the longest pause between attempts while it fails. */
  readonly catalog: { readonly journalDir: string; readonly retryMaxSeconds: number };
  /**
   * Authentication and access: JWT verification (absent: the installation's generated secret, HS256), anonymous reads, write rate
   * limit, CORS.
   */
  readonly auth: {
    readonly jwt?: JwtConfig;
    /** Owners whose datasets anonymous callers may read (`*`: every owner); empty: anonymous reads are off. */
    readonly publicOwners: readonly string[];
    /** Writes per caller per minute (its subject; subject and actor for a minted token; 0: unlimited). */
    readonly writeRateLimitPerMinute: number;
    /** Browser origins allowed by CORS (`*`: any); empty: no CORS headers. */
    readonly corsOrigins: readonly string[];
    /** How long the revocation list loaded from the catalog database answers before it is loaded again, in seconds. */
    readonly revocationCacheSeconds: number;
    /** While it cannot be loaded, how long past that the last loaded list still answers, in seconds; then tokens with an id get 503. */
    readonly revocationStaleSeconds: number;
  };
  /** The git hosts' webhook secrets; a host without one has its deliveries refused. */
  readonly webhooks: { readonly githubSecret?: string; readonly gitlabSecret?: string };
}

/** The sync worker's configuration: a PostgreSQL server is required (the API holds the embedded database while it runs). */
export interface WorkerConfig extends DatasetProcessConfig {
  readonly database: CatalogDatabaseSettings & { readonly url: string };
  /** `once`: one reconcile and one drain of the outbox, then exit (a Kubernetes CronJob); `loop`: every `intervalSeconds`. */
  readonly mode: 'once' | 'loop';
  readonly intervalSeconds: number;
  /** An owner last compared in full longer ago than this is compared in full again (0: only when asked). */
  readonly fullSyncEveryHours: number;
  /** Where the runs' Prometheus metrics go: served on `port` (loop mode), written to `file` after each run. */
  readonly metrics: { readonly port?: number; readonly file?: string };
}

/** The `metastore` command line's configuration: no Redis (events wait in the outbox for a relay), the embedded database without a URL. */
export type CliConfig = DatasetProcessConfig;

/** What `metastore token` reads: the JWT settings the API would use, and the data directory holding the generated secret. */
export interface TokenConfig {
  readonly jwt?: JwtConfig;
  readonly dataDir: string;
}

/** The search indexer's configuration. */
export interface IndexerConfig {
  readonly redis: RedisEventsConfig;
  /** Where the index file lives. */
  readonly dataDir: string;
  /** This process's name in the `search-indexer` group; StreamConsumer's default (`<hostname>-<pid>`) when unset. */
  readonly consumer?: string;
  readonly logLevel: LogLevel;
}

/** The variables each process reads, group by group (the README's "read by" column comes from here). */
export const PROCESS_VARIABLES = {
  api: [
    portVariables,
    apiServerVariables,
    storageVariables,
    localGitStorageVariables,
    jwtVariables,
    apiAccessVariables,
    catalogDatabaseVariables,
    apiCatalogVariables,
    webhookVariables,
    redisEventsVariables,
    eventVariables,
    logVariables,
  ],
  worker: [
    portVariables,
    storageVariables,
    localGitStorageVariables,
    catalogDatabaseVariables,
    redisEventsVariables,
    eventVariables,
    logVariables,
    workerVariables,
  ],
  cli: [portVariables, storageVariables, localGitStorageVariables, jwtVariables, catalogDatabaseVariables, eventVariables, logVariables],
  indexer: [redisEventsVariables, logVariables, indexerVariables],
} as const satisfies Record<ProcessName, readonly z.ZodObject<z.ZodRawShape>[]>;

/** The log level when `LOG_LEVEL` is unset: the command line keeps stderr for its progress and errors. */
const DEFAULT_LOG_LEVEL: Record<ProcessName, LogLevel> = { api: 'info', worker: 'info', cli: 'warn', indexer: 'info' };

/** Whether any JWT variable is set: without one, the installation's generated secret is used (see `resolveJwtSettings`). */
function jwtConfigured(values: EnvironmentValues): boolean {
  return Object.keys(values).some((name) => name.startsWith('METASTORE_JWT_'));
}

const datasetProcessSchema = z.object({ ...portVariables.shape, ...eventVariables.shape, ...logVariables.shape });

/** Storage, the catalog database and events, as every dataset process reads them; problems go to `problems`. */
function parseDatasetProcess(
  values: EnvironmentValues,
  process: ProcessName,
  problems: ConfigurationProblems,
  options: { readonly redis: boolean },
): (DatasetProcessConfig & { readonly port: number }) | undefined {
  const own = problems.parse(datasetProcessSchema, values);
  const selected = problems.parse(storageVariables, values);
  const local = problems.attempt(() => parseLocalGitStorageConfig(values));
  const database = problems.attempt(() => parseCatalogDatabaseConfig(values));
  // The stream settings are checked even without Redis: the API names the stream in its AsyncAPI document.
  const redis = options.redis ? problems.attempt(() => parseRedisEventsConfig(values)) : undefined;
  const backend = selected && local ? storageBackend(selected.STORAGE) : undefined;
  const settings = backend && local ? problems.attempt(() => ({ value: backend.parseConfig(values, { process, local }) })) : undefined;
  if (!own || !selected || !local || !database || !settings || (options.redis && !redis)) return undefined;
  return {
    port: own.PORT,
    logLevel: own.LOG_LEVEL ?? DEFAULT_LOG_LEVEL[process],
    storage: { backend: selected.STORAGE, local, settings: settings.value },
    // The embedded catalog lives in the data directory: every process without DATABASE_URL opens the same one.
    database: { ...database, embeddedDir: path.join(local.dataDir, 'catalog') },
    events: {
      publicUrl: publicUrlOf(own.METASTORE_PUBLIC_URL, own.PORT),
      maxDescriptorBytes: own.METASTORE_EVENT_DESCRIPTOR_LIMIT,
      stream: redis?.stream ?? DEFAULT_EVENTS_STREAM,
      ...(redis && values['REDIS_URL'] !== undefined ? { redis } : {}),
    },
  };
}

const apiSchema = z.object({
  ...apiServerVariables.shape,
  ...apiAccessVariables.shape,
  ...apiCatalogVariables.shape,
  ...webhookVariables.shape,
});

/** Parses the API's environment once; throws one ConfigurationError naming every bad variable (never a value). */
export function loadApiConfig(env: Environment): ApiConfig {
  const values = presentValues(env);
  const problems = new ConfigurationProblems();
  const shared = parseDatasetProcess(values, 'api', problems, { redis: true });
  const own = problems.parse(apiSchema, values);
  const jwt = jwtConfigured(values) ? problems.attempt(() => parseJwtConfig(values)) : undefined;
  if (!shared || !own || !problems.empty) throw problems.error();
  const { port, ...rest } = shared;
  return {
    ...rest,
    port,
    host: own.HOST,
    bodyLimitBytes: own.METASTORE_BODY_LIMIT,
    strictValidation: own.METASTORE_STRICT_VALIDATION,
    catalog: {
      journalDir: path.join(shared.storage.local.dataDir, 'catalog-journal'),
      retryMaxSeconds: own.METASTORE_CATALOG_RETRY_MAX_SECONDS,
    },
    auth: {
      ...(jwt ? { jwt } : {}),
      publicOwners: own.METASTORE_PUBLIC_OWNERS,
      writeRateLimitPerMinute: own.METASTORE_WRITE_RATE_LIMIT,
      corsOrigins: own.METASTORE_CORS_ORIGINS,
      revocationCacheSeconds: own.METASTORE_REVOCATION_CACHE_SECONDS,
      revocationStaleSeconds: own.METASTORE_REVOCATION_STALE_SECONDS,
    },
    webhooks: {
      ...(own.METASTORE_WEBHOOK_GITHUB_SECRET !== undefined ? { githubSecret: own.METASTORE_WEBHOOK_GITHUB_SECRET } : {}),
      ...(own.METASTORE_WEBHOOK_GITLAB_SECRET !== undefined ? { gitlabSecret: own.METASTORE_WEBHOOK_GITLAB_SECRET } : {}),
    },
  };
}

/** Parses the sync worker's environment once (`DATABASE_URL` required); throws one ConfigurationError naming every bad variable. */
export function loadWorkerConfig(env: Environment): WorkerConfig {
  const values = presentValues(env);
  const problems = new ConfigurationProblems();
  const shared = parseDatasetProcess(values, 'worker', problems, { redis: true });
  if (values['DATABASE_URL'] === undefined) {
    problems.add(
      "DATABASE_URL: required, the catalog database (postgresql://user:password@host:5432/database); the embedded one is the API process's",
    );
  }
  const schedule = problems.parse(workerVariables, values);
  const url = shared?.database.url;
  if (!shared || !schedule || url === undefined || !problems.empty) throw problems.error();
  const { port: _port, ...rest } = shared;
  return {
    ...rest,
    database: { ...shared.database, url },
    mode: schedule.SYNC_MODE,
    intervalSeconds: schedule.SYNC_INTERVAL_SECONDS,
    fullSyncEveryHours: schedule.SYNC_FULL_EVERY_HOURS,
    metrics: {
      ...(schedule.SYNC_METRICS_PORT !== undefined ? { port: schedule.SYNC_METRICS_PORT } : {}),
      ...(schedule.SYNC_METRICS_FILE !== undefined ? { file: schedule.SYNC_METRICS_FILE } : {}),
    },
  };
}

/** Parses the command line's environment once (`LOG_LEVEL` defaults to `warn`, no Redis); throws one ConfigurationError. */
export function loadCliConfig(env: Environment): CliConfig {
  const values = presentValues(env);
  const problems = new ConfigurationProblems();
  const shared = parseDatasetProcess(values, 'cli', problems, { redis: false });
  if (!shared || !problems.empty) throw problems.error();
  const { port: _port, ...rest } = shared;
  return rest;
}

/** Parses what `metastore token` reads (the JWT settings and the data directory); throws one ConfigurationError. */
export function loadTokenConfig(env: Environment): TokenConfig {
  const values = presentValues(env);
  const problems = new ConfigurationProblems();
  const local = problems.attempt(() => parseLocalGitStorageConfig(values));
  const jwt = jwtConfigured(values) ? problems.attempt(() => parseJwtConfig(values)) : undefined;
  if (!local || !problems.empty) throw problems.error();
  return { ...(jwt ? { jwt } : {}), dataDir: local.dataDir };
}

const indexerSchema = z.object({ ...indexerVariables.shape, ...logVariables.shape });

/** Parses the search indexer's environment once (Redis is its input: `REDIS_URL` defaults to a local server); throws one error. */
export function loadIndexerConfig(env: Environment): IndexerConfig {
  const values = presentValues(env);
  const problems = new ConfigurationProblems();
  const own = problems.parse(indexerSchema, values);
  const redis = problems.attempt(() => parseRedisEventsConfig(values));
  if (!own || !redis || !problems.empty) throw problems.error();
  return {
    redis,
    dataDir: path.resolve(own.INDEXER_DATA_DIR),
    ...(own.INDEXER_CONSUMER ? { consumer: own.INDEXER_CONSUMER } : {}),
    logLevel: own.LOG_LEVEL ?? DEFAULT_LOG_LEVEL.indexer,
  };
}
