import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { StorageUnavailableError } from '@metastore/errors';

/** Where the embedded database keeps its files, and where it listens. */
export interface EmbeddedPostgresOptions {
  /** Data directory (created if missing); the database persists there across restarts. One process at a time (`metastore.lock`). */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`: the pg driver and the Prisma CLI connect as to any server. */
  readonly url: string;
  /** Stops listening and closes the database (flushing it to `dataDir`), then releases the data directory's lock. */
  close(): Promise<void>;
}

/** The file in the data directory naming the process that has it open: two PGlite instances on one directory corrupt it. */
const LOCK_FILE = 'metastore.lock';

/** Lock files this process holds (a second open in the same process is refused too). */
const heldLocks = new Set<string>();

/** A lock file's content (the pid of the process holding it); undefined when there is no lock file. */
async function readLock(lockPath: string): Promise<string | undefined> {
  try {
    return await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether another process runs under `pid` on this machine (EPERM: it does, as another user). */
function isOtherProcessRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a lock left by a process that is gone. Renamed aside first and checked: if another process took the
 * stale lock over between our read and the rename, what we moved is its fresh lock, and it is put back.
 */
async function removeStaleLock(lockPath: string, staleContent: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((await readLock(aside)) !== staleContent) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Takes `<dataDir>/metastore.lock` for this process, or fails naming the process that holds it. A lock whose
 * process is gone (it crashed, or was killed) is taken over. Pids are this machine's: two containers sharing
 * a volume do not see each other's processes. Resolves to the function that releases the lock.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = path.resolve(dataDir, LOCK_FILE);
  const openHere = () =>
    new StorageUnavailableError(`this process (pid ${process.pid}) already has the embedded database in ${dataDir} open`);
  if (heldLocks.has(lockPath)) throw openHere();
  const content = `${process.pid}\n`;
  // Written in full under a unique name, then linked into place: link() fails with EEXIST when the lock exists
  // (as an O_EXCL create would), and no process ever reads a lock file that is not written yet.
  const draft = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(draft, content, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await link(draft, lockPath);
        heldLocks.add(lockPath);
        return async () => {
          heldLocks.delete(lockPath);
          if ((await readLock(lockPath).catch(() => undefined)) === content) await unlink(lockPath).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (heldLocks.has(lockPath)) throw openHere();
      const existing = await readLock(lockPath);
      if (existing === undefined) continue;
      // A lock naming our own pid that this process does not hold is a previous process's: a restarted container reuses pids.
      const holder = Number.parseInt(existing, 10);
      if (isOtherProcessRunning(holder)) {
        throw new StorageUnavailableError(
          `another Metastore process (pid ${holder}) is using the embedded database in ${dataDir}: stop it, or set DATABASE_URL to use a PostgreSQL server ` +
            `(if pid ${holder} is not Metastore, delete ${lockPath})`,
        );
      }
      await removeStaleLock(lockPath, existing);
    }
    throw new StorageUnavailableError(`could not take the lock ${lockPath}: other processes keep replacing it`);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/**
 * Starts PostgreSQL compiled to WebAssembly (PGlite) on a local TCP port, for running without a database server.
 * It serves one connection at a time: clients must use a pool of one (`poolSize: 1`), and run
 * `migrateDatabase` before opening theirs. One process at a time may open a data directory: a second one is
 * refused with STORAGE_UNAVAILABLE naming the first one's pid.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  let unlock: (() => Promise<void>) | undefined;
  try {
    await mkdir(options.dataDir, { recursive: true });
    unlock = await lockDataDir(options.dataDir);
    const release = unlock;
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
        closing ??= server
          .stop()
          .then(() => db.close())
          .finally(release);
        return closing;
      },
    };
  } catch (error) {
    await unlock?.();
    if (error instanceof StorageUnavailableError) throw error;
    throw new StorageUnavailableError(
      `the embedded catalog database could not start in ${options.dataDir}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
