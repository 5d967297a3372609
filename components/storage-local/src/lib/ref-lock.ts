import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Thrown when another process holds the ref's lock file. */
export class RefLockedError extends Error {}

/**
 * Compare-and-swap of a loose ref with git's own lock protocol (`<ref>.lock` created exclusively,
 * then renamed over the ref), so that other processes and `git push` into the same bare repository
 * never interleave with us. See https://git-scm.com/docs/api-lockfile (gitrepository-layout).
 *
 * `expected` undefined means the ref must not exist yet. Returns false when the ref holds another value.
 */
export async function compareAndSwapRef(
  gitdir: string,
  ref: string,
  expected: string | undefined,
  next: string,
  readCurrent: () => Promise<string | undefined>,
): Promise<boolean> {
  const refPath = path.join(gitdir, ref);
  const lockPath = `${refPath}.lock`;
  let handle;
  try {
    handle = await open(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RefLockedError(`${ref} is locked by another writer`);
    throw error;
  }
  let renamed = false;
  try {
    const current = await readCurrent();
    if (current !== expected) return false;
    await handle.writeFile(`${next}\n`);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(lockPath, refPath);
    renamed = true;
    return true;
  } finally {
    await handle?.close();
    if (!renamed) await rm(lockPath, { force: true });
  }
}

/** Reads a loose ref's value, or undefined when the file does not exist. */
export async function readLooseRef(gitdir: string, ref: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(gitdir, ref), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
