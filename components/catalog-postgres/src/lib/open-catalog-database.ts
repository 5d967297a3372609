import { existsSync } from 'node:fs';
import path from 'node:path';
import { createCatalogDatabase, type CatalogDatabase } from './catalog-database';
import { startEmbeddedPostgres } from './embedded-postgres';
import { DEFAULT_PRISMA_CONFIG_PATH, migrateDatabase } from './migrate';

/** Where a process finds its catalog: a PostgreSQL server, or else the embedded database in `embeddedDir`. */
export interface OpenCatalogOptions {
  /** `postgresql://...`; absent: the embedded database (one process at a time, pool of one). */
  readonly url?: string;
  readonly embeddedDir: string;
  /** Pooled connections on a server (default 10). */
  readonly poolSize?: number;
  /** The migrations' `prisma.config.ts`, where a deployment put it (`METASTORE_PRISMA_CONFIG`); else found (see `prismaConfigPath`). */
  readonly prismaConfigPath?: string;
}

/** An open, migrated catalog database; `kind` says which (for start-up logs). */
export interface OpenCatalog extends CatalogDatabase {
  readonly kind: 'server' | 'embedded';
}

/** The migrations' Prisma config: the configured one, beside a bundle run from the repository (`dist/<base>/`), or the source tree's. */
export function prismaConfigPath(configured?: string): string {
  if (configured) return path.resolve(configured);
  const besideBundle = path.resolve(__dirname, '..', '..', 'components', 'catalog-postgres', 'prisma.config.ts');
  return existsSync(besideBundle) ? besideBundle : DEFAULT_PRISMA_CONFIG_PATH;
}

/**
 * Opens the catalog with its migrations applied (idempotent; concurrent callers wait on Prisma's lock): on the server
 * at `url`, or on the embedded database, started here and stopped by `close()`.
 */
export async function openCatalogDatabase(options: OpenCatalogOptions): Promise<OpenCatalog> {
  const configPath = prismaConfigPath(options.prismaConfigPath);
  if (options.url !== undefined) {
    await migrateDatabase(options.url, { configPath });
    return { ...createCatalogDatabase({ url: options.url, ...(options.poolSize ? { poolSize: options.poolSize } : {}) }), kind: 'server' };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: options.embeddedDir });
  try {
    await migrateDatabase(embedded.url, { configPath });
    const database = createCatalogDatabase({ url: embedded.url, poolSize: 1 });
    return {
      ...database,
      kind: 'embedded',
      close: async () => {
        await database.close().catch(() => undefined);
        await embedded.close();
      },
    };
  } catch (error) {
    await embedded.close().catch(() => undefined);
    throw error;
  }
}
