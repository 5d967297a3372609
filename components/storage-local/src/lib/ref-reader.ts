import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

const RACY_WINDOW_MS = 1000n;

interface CachedRef {
  readonly signature: string;
  readonly value: string;
}

/**
 * Reads loose refs (`refs/heads/main`, `refs/tags/v1`) with a cache validated by the file's
 * inode, size and modification time: one `stat` per read instead of isomorphic-git's several
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
    let signature: string;
    let racy: boolean;
    try {
      const info = await stat(file, { bigint: true });
      signature = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
      racy = BigInt(Date.now()) - info.mtimeNs / 1_000_000n < RACY_WINDOW_MS;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        this.cache.delete(file);
        return undefined;
      }
      throw error;
    }
    const cached = this.cache.get(file);
    if (!racy && cached?.signature === signature) return cached.value;
    const value = (await readFile(file, 'utf8')).trim();
    // A symbolic ref (`ref: refs/...`) is left to isomorphic-git.
    if (!/^[0-9a-f]{40}$/.test(value)) return undefined;
    if (racy) this.cache.delete(file);
    else this.cache.set(file, { signature, value });
    return value;
  }
}
