import type { Logger } from 'pino';
import { ensureLocalSigningSecret, parseJwtConfig, type JwtConfig } from '@metastore/auth-jwt';
import type { ChangeJournal } from '@metastore/catalog';
import { FsChangeJournal } from '@metastore/catalog-journal-fs';
import { openCatalogDatabase, type OpenCatalog } from '@metastore/catalog-postgres';
import type { EventStream } from '@metastore/events';
import { RedisEventStream } from '@metastore/events-redis';
import type { DatasetStorage } from '@metastore/storage';
import type { CatalogDatabaseSettings, EventSettings, StorageSelection } from './runtime.config';
import { storageBackend } from './storage-backends';

/** The configured storage: the selected registry entry's adapter over its settings. */
export function openStorage(storage: StorageSelection, context: { readonly logger: Logger }): DatasetStorage {
  return storageBackend(storage.backend).create(storage.settings, context);
}

/**
 * The catalog database (catalog, outbox, revocations, `close()`), migrated: PostgreSQL at `database.url` with its pool size, or the
 * embedded database in `database.embeddedDir`, started here and stopped by `close()`.
 */
export function openCatalog(database: CatalogDatabaseSettings): Promise<OpenCatalog> {
  return openCatalogDatabase({
    embeddedDir: database.embeddedDir,
    ...(database.url !== undefined ? { url: database.url, poolSize: database.poolSize } : {}),
    ...(database.prismaConfigPath ? { prismaConfigPath: database.prismaConfigPath } : {}),
  });
}

/** Where the API's changes wait while the catalog database does not answer: one file per entry in `journalDir`. */
export function openChangeJournal(catalog: { readonly journalDir: string }): ChangeJournal {
  return new FsChangeJournal({ directory: catalog.journalDir });
}

/** An event stream with the connection it opened. */
export type ClosableEventStream = EventStream & { close(): Promise<void> };

/** The Redis stream events are published to; undefined without `REDIS_URL` (events then wait in the outbox). */
export function openEventStream(events: EventSettings, logger: Logger): ClosableEventStream | undefined {
  const { redis } = events;
  if (!redis) return undefined;
  return new RedisEventStream({
    redis: redis.url,
    stream: redis.stream,
    maxLength: redis.maxLength,
    logger: logger.child({ component: 'events-redis' }),
  });
}

/** The JWT settings in force, and the generated secret's file when this call created it. */
export interface JwtSettings {
  readonly jwt: JwtConfig;
  readonly createdSecretFile?: string;
}

/**
 * The JWT settings in force: the configured ones, or (none configured: the embedded default) HS256 with the installation's secret,
 * generated in `<data dir>/jwt-secret` on first use. The API and `metastore token` both ask here, so they always agree.
 */
export async function resolveJwtSettings(auth: { readonly jwt?: JwtConfig }, dataDir: string): Promise<JwtSettings> {
  if (auth.jwt) return { jwt: auth.jwt };
  const local = await ensureLocalSigningSecret(dataDir);
  // No METASTORE_JWT_* is set (else `auth.jwt` would be), so only the defaults and the generated secret apply.
  const jwt = parseJwtConfig({}, local.secret);
  return { jwt, ...(local.created ? { createdSecretFile: local.file } : {}) };
}
