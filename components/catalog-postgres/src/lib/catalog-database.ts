import { PrismaPg } from '@prisma/adapter-pg';
import { ConfigurationError } from '@metastore/errors';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { DEFAULT_CATALOG_STORE_OPTIONS, PostgresCatalogStore } from './postgres-catalog.adapter';
import { PostgresOutbox } from './postgres-outbox.adapter';
import { PostgresRevocationList } from './postgres-revocations.adapter';
import { PostgresSyncWatermarkStore } from './postgres-sync-watermarks.adapter';
import { PostgresWebhookDeliveries } from './postgres-webhook-deliveries.adapter';

/** How to reach the catalog database. */
export interface CatalogDatabaseOptions {
  /** `postgresql://...` of a server, or the `url` of `startEmbeddedPostgres`. */
  readonly url: string;
  /** Pooled connections (default 10). The embedded database serves one connection at a time: give it 1. */
  readonly poolSize?: number;
  /** Longest a catalog update transaction may run (default 15 s). */
  readonly applyTimeoutMs?: number;
  /** Longest a relay batch may hold its transaction open, `publish` included (default 60 s). */
  readonly relayTimeoutMs?: number;
  /** Longest a transaction waits for a free pooled connection (default 30 s). */
  readonly connectionWaitMs?: number;
  /**
   * Longest opening a connection may take (default 5 s): a server that accepts but never answers (a network partition)
   * fails calls after this instead of holding them, and the requests that fall back to storage, indefinitely.
   */
  readonly connectTimeoutMs?: number;
  /**
   * A text search is ordered by relevance while it matches at most this many datasets (default 1000), else in
   * (owner, name) order, so that no search ranks more rows than this (see the README).
   */
  readonly maxRankedMatches?: number;
  /**
   * Where no autovacuum runs (the embedded database): vacuum and analyse the catalog tables after this many dataset
   * changes, or a tenth of the datasets if that is more (default 1000).
   */
  readonly maintenanceMinChanges?: number;
  /** What time it is, for the expiry of webhook deliveries (default: the system clock). */
  readonly clock?: () => Date;
}

/** The catalog store and the outbox, sharing one Prisma client and connection pool. */
export interface CatalogDatabase {
  readonly catalog: PostgresCatalogStore;
  readonly outbox: PostgresOutbox;
  readonly revocations: PostgresRevocationList;
  /** Where the incremental sync stands per backend and owner. */
  readonly watermarks: PostgresSyncWatermarkStore;
  /** Webhook deliveries accepted, kept until they expire (replay protection). */
  readonly webhookDeliveries: PostgresWebhookDeliveries;
  /** Closes the pool; in-flight calls finish first. */
  close(): Promise<void>;
}

/**
 * `client`, released (and so destroyed by the pool) as soon as its connection dies, once only. Prisma 6.19 releases a
 * transaction's client only after its COMMIT or ROLLBACK succeeded; when the connection is cut mid-transaction neither
 * can, and the client stayed checked out for good: every cut that caught a transaction shrank the pool by one, until no
 * call could get a connection, and `close()` waited forever.
 */
function releasedOnConnectionLoss(client: pg.PoolClient): pg.PoolClient {
  const release = client.release.bind(client);
  let released = false;
  const releaseOnce = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    client.removeListener('error', onError);
    release(error);
  };
  const onError = (error: Error) => releaseOnce(error);
  client.on('error', onError);
  client.release = releaseOnce;
  return client;
}

/**
 * Connects to the catalog database at `options.url`: the pool opens its first connection at once, for the statistics
 * check (`CatalogMaintenance`), which runs in the background and ignores failures (a database that is down is
 * reported by the calls themselves).
 */
export function createCatalogDatabase(options: CatalogDatabaseOptions): CatalogDatabase {
  let protocol: string;
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    throw new ConfigurationError('the catalog database URL is not a valid URL');
  }
  if (protocol !== 'postgresql:' && protocol !== 'postgres:')
    throw new ConfigurationError('the catalog database URL must be a postgresql:// URL');

  for (const [name, value] of [
    ['maxRankedMatches', options.maxRankedMatches],
    ['maintenanceMinChanges', options.maintenanceMinChanges],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
      throw new ConfigurationError(`the catalog's ${name} must be a positive integer`);
  }

  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
  });
  // An idle connection that breaks (server restart) is dropped by the pool; the next query reports the outage.
  pool.on('error', () => undefined);
  // Clients checked out for transactions (Prisma's only use of connect()) are released when their connection dies;
  // pool.query's own checkouts (the callback form) release themselves.
  const connect = pool.connect.bind(pool) as (callback?: unknown) => Promise<pg.PoolClient> | undefined;
  pool.connect = ((callback?: unknown) =>
    callback ? connect(callback) : connect()!.then(releasedOnConnectionLoss)) as typeof pool.connect;
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const maxWaitMs = options.connectionWaitMs ?? 30_000;
  const catalog = new PostgresCatalogStore(
    prisma,
    options.url,
    { maxWaitMs, timeoutMs: options.applyTimeoutMs ?? 15_000 },
    {
      maxRankedMatches: options.maxRankedMatches ?? DEFAULT_CATALOG_STORE_OPTIONS.maxRankedMatches,
      maintenanceMinChanges: options.maintenanceMinChanges ?? DEFAULT_CATALOG_STORE_OPTIONS.maintenanceMinChanges,
    },
  );
  // Statistics missing or out of date (seeded or restored data, a migration's backfill, an embedded database that never
  // analyses by itself) are gathered in the background on the first connection.
  catalog.maintenance.start();
  const outbox = new PostgresOutbox(prisma, options.url, { maxWaitMs, timeoutMs: options.relayTimeoutMs ?? 60_000 });
  let closing: Promise<void> | undefined;
  return {
    catalog,
    outbox,
    revocations: new PostgresRevocationList(prisma, options.url),
    watermarks: new PostgresSyncWatermarkStore(prisma, options.url),
    webhookDeliveries: new PostgresWebhookDeliveries(prisma, options.url, options.clock),
    close: () => {
      closing ??= catalog.maintenance
        .settle()
        .then(() => prisma.$disconnect())
        .then(() => pool.end());
      return closing;
    },
  };
}
