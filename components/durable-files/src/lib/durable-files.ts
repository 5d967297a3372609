import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Errors from fsync on a directory where the platform cannot sync directories (Windows, some network file systems). */
const UNSYNCABLE_DIRECTORY = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'ENOTSUP']);

/**
 * Makes a directory's entries (files created, renamed or removed in it) durable. A rename is only
 * durable once its directory is synced (see fsync(2): "fsync() on the file does not necessarily ensure
 * that the entry in the directory containing the file has also reached disk").
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    if (!UNSYNCABLE_DIRECTORY.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** Creates a directory and any missing parents, syncing each parent that gained an entry. */
export async function makeDirectoryDurably(directory: string): Promise<void> {
  const first = await mkdir(directory, { recursive: true });
  if (first === undefined) return;
  // mkdir returns the first directory it created; every directory from there down is new.
  const created: string[] = [];
  for (let current = directory; ; current = path.dirname(current)) {
    created.push(current);
    if (current === first || path.dirname(current) === current) break;
  }
  await Promise.all(created.map((entry) => syncDirectory(path.dirname(entry))));
}

/** A random suffix for temporary file names. */
export function nonce(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Writes `target` so that after a crash it holds either its old content or all of `data`: the data
 * goes to a temporary file (`temporary`, in the same file system), is fsynced, renamed over the
 * target, and the target's directory is synced.
 */
export async function writeFileDurably(target: string, data: Uint8Array | string, temporary: string, mode = 0o666): Promise<void> {
  await writeFileAtomically(target, data, temporary, mode);
  await syncDirectory(path.dirname(target));
}

/**
 * {@link writeFileDurably} without the directory sync, for a caller that syncs each directory once after many
 * writes: `target` holds its old content or all of `data`, but the rename is durable only once the directory is synced.
 */
export async function writeFileAtomically(target: string, data: Uint8Array | string, temporary: string, mode = 0o666): Promise<void> {
  try {
    await writeNewFileSynced(temporary, data, mode);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Creates `file` (which must not exist) with `data` and fsyncs it. */
export async function writeNewFileSynced(file: string, data: Uint8Array | string, mode = 0o666): Promise<void> {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Which files {@link syncTree} may leave alone. */
export interface SyncTreeOptions {
  /** Files the caller already fsynced (each written with {@link writeNewFileSynced}, say): not synced a second time. */
  readonly alreadySynced?: (file: string) => boolean;
}

/**
 * Fsyncs every file and directory under `root` (a freshly built repository, before it is renamed into place), each
 * directory after its entries; files `alreadySynced` says were synced are skipped (their directories never are).
 */
export async function syncTree(root: string, options: SyncTreeOptions = {}): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const child = path.join(root, entry.name);
      if (entry.isDirectory()) return syncTree(child, options);
      if (!entry.isFile() || options.alreadySynced?.(child)) return;
      const handle = await open(child, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }),
  );
  await syncDirectory(root);
}
