import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { StorageUnavailableError } from '@metastore/errors';

/** Where the embedded database keeps its files, and where it listens. */
export interface EmbeddedPostgresOptions {
  /** Data directory (created if missing); the database persists there across restarts. One process at a time. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`: the pg driver and the Prisma CLI connect as to any server. */
  readonly url: string;
  /** Stops listening and closes the database (flushing it to `dataDir`). */
  close(): Promise<void>;
}

/**
 * Starts PostgreSQL compiled to WebAssembly (PGlite) on a local TCP port, for running without a database server.
 * It serves one connection at a time: clients must use a pool of one (`poolSize: 1`), and run
 * `migrateDatabase` before opening theirs.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  try {
    await mkdir(options.dataDir, { recursive: true });
    const db = await PGlite.create(options.dataDir);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 1 });
    try {
      await server.start();
    } catch (error) {
      await db.close();
      throw error;
    }
    const port = Number(server.getServerConn().split(':').at(-1));
    let closing: Promise<void> | undefined;
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      close: () => {
        closing ??= server.stop().then(() => db.close());
        return closing;
      },
    };
  } catch (error) {
    throw new StorageUnavailableError(`the embedded catalog database could not start in ${options.dataDir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
