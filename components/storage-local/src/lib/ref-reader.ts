import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import isGitRefNameValid from 'is-git-ref-name-valid';
import { LRUCache } from 'lru-cache';

const RACY_WINDOW_MS = 1000n;

interface CachedRef {
  readonly signature: string;
  readonly value: string;
}

/**
 * Reads loose refs (`refs/heads/main`, `refs/tags/v1`) with a cache validated by the file's
 * inode, size and modification time: one (synchronous) `stat` per read instead of isomorphic-git's several
 * file reads. Like git's index ("racy git", https://git-scm.com/docs/racy-git), a file modified
 * less than RACY_WINDOW_MS ago is never trusted from the cache: file timestamps are coarse and
 * inodes are reused, so only an older file's signature identifies its content. Returns undefined
 * when there is no loose file (the caller then falls back to packed refs).
 */
export class LooseRefReader {
  private readonly cache: LRUCache<string, CachedRef>;

  constructor(maxEntries: number) {
    this.cache = new LRUCache({ max: Math.max(1, maxEntries) });
  }

  /** The ref's value, or undefined when no loose ref file exists. */
  async read(gitdir: string, ref: string): Promise<string | undefined> {
    const file = path.join(gitdir, ref);
    const state = this.stateOf(file);
    if (state === undefined) {
      this.cache.delete(file);
      return undefined;
    }
    const cached = this.cache.get(file);
    if (!state.racy && cached?.signature === state.signature) return cached.value;
    const value = (await readFile(file, 'utf8')).trim();
    // A symbolic ref (`ref: refs/...`) is left to isomorphic-git.
    if (!/^[0-9a-f]{40}$/.test(value)) return undefined;
    if (state.racy) this.cache.delete(file);
    else this.cache.set(file, { signature: state.signature, value });
    return value;
  }

  /**
   * The ref's value when it is known without reading the file: read before, and the file (one stat) still has the
   * signature it was read with and is older than the racy window. Undefined otherwise (then `read` decides), never an
   * error: an answer from memory is only ever given when `read` would give the same.
   */
  peek(gitdir: string, ref: string): string | undefined {
    const file = path.join(gitdir, ref);
    const cached = this.cache.get(file);
    if (cached === undefined) return undefined;
    let state;
    try {
      state = this.stateOf(file);
    } catch {
      return undefined;
    }
    return state !== undefined && !state.racy && state.signature === cached.signature ? cached.value : undefined;
  }

  /** The file's signature (inode, size, times) and whether it is too recent to trust; undefined when no ref file is there. */
  private stateOf(file: string): { signature: string; racy: boolean } | undefined {
    try {
      // Synchronous on purpose: one stat of a small file per read at the head, about 3 µs of CPU here, where the promise
      // form costs about 30 µs (a thread-pool round trip) and was a tenth of a read's CPU (`npm run bench -- --only=read`).
      const info = statSync(file, { bigint: true });
      // A directory (`refs/tags/x` while tag `x/y` exists) is no ref.
      if (!info.isFile()) return undefined;
      return {
        signature: `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`,
        racy: BigInt(Date.now()) - info.mtimeNs / 1_000_000n < RACY_WINDOW_MS,
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }
}

async function listLooseRefs(gitdir: string, directory: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(gitdir, directory), { withFileTypes: true });
  } catch (error) {
    // A directory removed (or replaced by a file) while we walk it holds no refs.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
  const nested = await Promise.all(
    entries.map((entry) => {
      const ref = `${directory}/${entry.name}`;
      if (entry.isDirectory()) return listLooseRefs(gitdir, ref);
      return Promise.resolve(entry.isFile() ? [ref] : []);
    }),
  );
  return nested.flat();
}

/**
 * Names of the refs under `prefix` (`refs/tags`), loose and packed, relative to it and sorted. Like git,
 * it skips what is not a valid ref name: lock files (`v1.lock`, a ref being written or left by a crash)
 * are never listed.
 */
export async function listRefNames(gitdir: string, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  for (const ref of await listLooseRefs(gitdir, prefix)) names.add(ref);
  const packed = await readFile(path.join(gitdir, 'packed-refs'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  for (const line of packed.split('\n')) {
    const ref = /^[0-9a-f]{40} (.+)$/.exec(line)?.[1];
    if (ref?.startsWith(`${prefix}/`)) names.add(ref);
  }
  return [...names]
    .filter((ref) => isGitRefNameValid(ref))
    .map((ref) => ref.slice(prefix.length + 1))
    .sort();
}
