import { existsSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { CatalogSync, type CatalogStore } from '@metastore/catalog';
import { createCatalogDatabase, DEFAULT_PRISMA_CONFIG_PATH, migrateDatabase } from '@metastore/catalog-postgres';
import { eventOptionsForApi, type EventBuilderOptions } from '@metastore/events';
import type { DatasetStorage } from '@metastore/storage';
import { GitHubStorage } from '@metastore/storage-github';
import { LocalGitStorage } from '@metastore/storage-local';
import type { CliConfig } from './config';

/** What the catalog commands need; `close()` releases the database connections. */
export interface CliDependencies {
  readonly logger: Logger;
  readonly storage: DatasetStorage;
  readonly catalog: CatalogStore;
  readonly sync: CatalogSync;
  close(): Promise<void>;
}

/** What tests may replace: the logger, storage and the catalog database. */
export interface CliDependencyOverrides {
  readonly logger?: Logger;
  readonly storage?: DatasetStorage;
  readonly database?: { readonly catalog: CatalogStore; close(): Promise<void> };
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
export function eventOptions(config: CliConfig): EventBuilderOptions {
  const { publicUrl, maxDescriptorBytes } = config.events;
  return eventOptionsForApi(publicUrl, maxDescriptorBytes);
}

/** The one place that picks the storage adapter from configuration (as the API does). */
function createStorage(config: CliConfig, logger: Logger): DatasetStorage {
  switch (config.storage.backend) {
    case 'local':
      return new LocalGitStorage(config.storage.local);
    case 'github':
      return new GitHubStorage(config.storage.github, { logger: logger.child({ component: 'storage-github' }) });
  }
}

/** Storage, the catalog database and the sync service; logs go to stderr, synchronously, so stdout holds only the summary. */
export function buildCliDependencies(config: CliConfig, overrides: CliDependencyOverrides = {}): CliDependencies {
  const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'metastore-cli' } }, pino.destination({ fd: 2, sync: true }));
  const storage = overrides.storage ?? createStorage(config, logger);
  const database = overrides.database ?? createCatalogDatabase({ url: config.database.url, poolSize: config.database.poolSize });
  const sync = new CatalogSync(storage, database.catalog, { events: eventOptions(config), logger: logger.child({ component: 'catalog-sync' }) });
  return { logger, storage, catalog: database.catalog, sync, close: () => database.close() };
}
