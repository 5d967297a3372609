import { PrismaPg } from '@prisma/adapter-pg';
import { ConfigurationError } from '@metastore/errors';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { PostgresCatalogStore } from './postgres-catalog.adapter';
import { PostgresOutbox } from './postgres-outbox.adapter';

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
}

/** The catalog store and the outbox, sharing one Prisma client and connection pool. */
export interface CatalogDatabase {
  readonly catalog: PostgresCatalogStore;
  readonly outbox: PostgresOutbox;
  /** Closes the pool; in-flight calls finish first. */
  close(): Promise<void>;
}

/** Connects (lazily, on first use) to the catalog database at `options.url`. */
export function createCatalogDatabase(options: CatalogDatabaseOptions): CatalogDatabase {
  let protocol: string;
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    throw new ConfigurationError('the catalog database URL is not a valid URL');
  }
  if (protocol !== 'postgresql:' && protocol !== 'postgres:') throw new ConfigurationError('the catalog database URL must be a postgresql:// URL');

  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle connection that breaks (server restart) is dropped by the pool; the next query reports the outage.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const maxWaitMs = options.connectionWaitMs ?? 30_000;
  const catalog = new PostgresCatalogStore(prisma, options.url, { maxWaitMs, timeoutMs: options.applyTimeoutMs ?? 15_000 });
  const outbox = new PostgresOutbox(prisma, options.url, { maxWaitMs, timeoutMs: options.relayTimeoutMs ?? 60_000 });
  let closing: Promise<void> | undefined;
  return {
    catalog,
    outbox,
    close: () => {
      closing ??= prisma.$disconnect().then(() => pool.end());
      return closing;
    },
  };
}
