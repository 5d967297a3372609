import { existsSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { CatalogSync, type CatalogStore } from '@metastore/catalog';
import { createCatalogDatabase, DEFAULT_PRISMA_CONFIG_PATH, migrateDatabase } from '@metastore/catalog-postgres';
import { eventOptionsForApi, OutboxRelay, type EventBuilderOptions, type EventStream, type Outbox } from '@metastore/events';
import { RedisEventStream } from '@metastore/events-redis';
import type { DatasetStorage } from '@metastore/storage';
import { GitHubStorage } from '@metastore/storage-github';
import { LocalGitStorage } from '@metastore/storage-local';
import type { CatalogJobConfig } from './config';

/** What a reconcile run needs, built once from configuration; `close()` releases connections. */
export interface WorkerDependencies {
  readonly logger: Logger;
  readonly storage: DatasetStorage;
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  readonly sync: CatalogSync;
  /** Publishes the outbox to Redis; absent without `REDIS_URL` (events then wait for the API's relay). */
  readonly relay?: OutboxRelay;
  close(): Promise<void>;
}

/** What tests may replace: the logger, storage, the database (catalog + outbox) and the event stream. */
export interface DependencyOverrides {
  readonly logger?: Logger;
  readonly storage?: DatasetStorage;
  readonly database?: { readonly catalog: CatalogStore; readonly outbox: Outbox; close(): Promise<void> };
  readonly stream?: EventStream & { close?(): Promise<void> };
}

/** The catalog migrations' Prisma config: configured, beside a bundle run from the repository (`dist/<base>/`), or in the source tree. */
export function prismaConfigPath(configured: string | undefined): string {
  if (configured) return path.resolve(configured);
  const besideBundle = path.resolve(__dirname, '..', '..', 'components', 'catalog-postgres', 'prisma.config.ts');
  return existsSync(besideBundle) ? besideBundle : DEFAULT_PRISMA_CONFIG_PATH;
}

/** Applies the catalog migrations (idempotent; concurrent callers, the API included, wait on Prisma's lock). */
export function migrateCatalog(config: { readonly database: { readonly url: string }; readonly prismaConfigPath?: string }): Promise<void> {
  return migrateDatabase(config.database.url, { configPath: prismaConfigPath(config.prismaConfigPath) });
}

/** Events stamped as the API stamps them: its public URL is the source, and large descriptors link to its read endpoint. */
export function eventOptions(config: CatalogJobConfig): EventBuilderOptions {
  const { publicUrl, maxDescriptorBytes } = config.events;
  return eventOptionsForApi(publicUrl, maxDescriptorBytes);
}

/** The one place that picks the storage adapter from configuration (as the API does). */
export function createStorage(config: CatalogJobConfig, logger: Logger): DatasetStorage {
  switch (config.storage.backend) {
    case 'local':
      return new LocalGitStorage(config.storage.local);
    case 'github':
      return new GitHubStorage(config.storage.github, { logger: logger.child({ component: 'storage-github' }) });
  }
}

/** A JSON logger writing synchronously (nothing is lost when the process exits right after a run). */
export function createLogger(config: CatalogJobConfig): Logger {
  return pino({ level: config.logLevel, base: { service: 'metastore-sync-worker' } }, pino.destination({ fd: 1, sync: true }));
}

/** Storage, the catalog database, the sync service and (with Redis) the outbox relay. */
export function buildDependencies(config: CatalogJobConfig, overrides: DependencyOverrides = {}): WorkerDependencies {
  const logger = overrides.logger ?? createLogger(config);
  const storage = overrides.storage ?? createStorage(config, logger);
  const database = overrides.database ?? createCatalogDatabase({ url: config.database.url, poolSize: config.database.poolSize });
  const stream =
    overrides.stream ??
    (config.redis
      ? new RedisEventStream({ redis: config.redis.url, stream: config.redis.stream, maxLength: config.redis.maxLength, logger: logger.child({ component: 'events-redis' }) })
      : undefined);
  const sync = new CatalogSync(storage, database.catalog, { events: eventOptions(config), logger: logger.child({ component: 'catalog-sync' }) });
  const relay = stream ? new OutboxRelay(database.outbox, stream, { logger: logger.child({ component: 'outbox-relay' }) }) : undefined;
  return {
    logger,
    storage,
    catalog: database.catalog,
    outbox: database.outbox,
    sync,
    ...(relay ? { relay } : {}),
    close: async () => {
      await Promise.allSettled([database.close(), stream?.close?.()]);
    },
  };
}
