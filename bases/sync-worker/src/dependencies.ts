import pino, { type Logger } from 'pino';
import { CatalogSync, type CatalogStore, type SyncWatermarkStore } from '@metastore/catalog';
import { eventOptionsForApi, OutboxRelay, type EventBuilderOptions, type EventStream, type Outbox } from '@metastore/events';
import { openCatalog, openEventStream, openStorage, type DatasetProcessConfig } from '@metastore/runtime';
import type { DatasetStorage } from '@metastore/storage';

/** The catalog database a job runs on (catalog + outbox), and how to close it. */
export interface OpenCatalogDatabase {
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  /** Where the incremental sync keeps its watermarks; absent: every run is a full one. */
  readonly watermarks?: SyncWatermarkStore;
  close(): Promise<void>;
}

/** What a catalog job needs, built once from configuration; `close()` releases connections (and the embedded database). */
export interface CatalogJobDependencies {
  readonly logger: Logger;
  readonly storage: DatasetStorage;
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  readonly sync: CatalogSync;
  /** Publishes the outbox to Redis; absent without `REDIS_URL` (events then wait for the API's relay). */
  readonly relay?: OutboxRelay;
  close(): Promise<void>;
}

/** What tests may replace: storage, the database (then nothing is migrated) and the event stream. */
export interface DependencyOverrides {
  readonly storage?: DatasetStorage;
  readonly database?: OpenCatalogDatabase;
  readonly stream?: EventStream & { close?(): Promise<void> };
}

/** Events stamped as the API stamps them: its public URL is the source, and large descriptors link to its read endpoint. */
export function eventOptions(config: DatasetProcessConfig): EventBuilderOptions {
  const { publicUrl, maxDescriptorBytes } = config.events;
  return eventOptionsForApi(publicUrl, maxDescriptorBytes);
}

/** A JSON logger writing synchronously to `fd` (nothing is lost when the process exits right after a run). */
export function createLogger(config: DatasetProcessConfig, output: { readonly service: string; readonly fd: 1 | 2 }): Logger {
  return pino({ level: config.logLevel, base: { service: output.service } }, pino.destination({ fd: output.fd, sync: true }));
}

/** Storage, the (migrated) catalog database, the sync service and (with Redis) the outbox relay, all asked of the runtime. */
export async function openDependencies(
  config: DatasetProcessConfig,
  logger: Logger,
  overrides: DependencyOverrides = {},
  options: { readonly fullSyncEveryMs?: number } = {},
): Promise<CatalogJobDependencies> {
  const storage = overrides.storage ?? openStorage(config.storage, { logger });
  const database = overrides.database ?? (await openCatalog(config.database));
  const stream = overrides.stream ?? openEventStream(config.events, logger);
  const sync = new CatalogSync(storage, database.catalog, {
    events: eventOptions(config),
    logger: logger.child({ component: 'catalog-sync' }),
    ...(database.watermarks ? { watermarks: database.watermarks } : {}),
    ...(options.fullSyncEveryMs !== undefined ? { fullSyncEveryMs: options.fullSyncEveryMs } : {}),
  });
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
