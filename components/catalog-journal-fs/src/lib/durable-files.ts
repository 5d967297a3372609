import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

/** Errors from fsync on a directory where the platform cannot sync directories (Windows, some network file systems). */
const UNSYNCABLE_DIRECTORY = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'ENOTSUP']);

/** Makes a directory's entries (files created, renamed or removed in it) durable: a rename is durable only once its directory is synced (fsync(2)). */
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

/** Creates `file` (which must not exist) with `data` and fsyncs it. */
export async function writeNewFileSynced(file: string, data: string): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
