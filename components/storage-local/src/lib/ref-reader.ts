import { readdirSync, statSync, type Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import isGitRefNameValid from 'is-git-ref-name-valid';
import { LRUCache } from 'lru-cache';

const RACY_WINDOW_MS = 1000n;

/** What `LooseRefReader.lookup` answers when there is no loose ref file (the caller then looks in packed refs). */
export const NO_LOOSE_REF = Symbol('no loose ref');

/** A file's signature (inode, size, times) and whether it is too recent to trust; undefined when no such file is there. */
function fileState(file: string): { signature: string; racy: boolean; size: bigint } | undefined {
  try {
    // Synchronous on purpose: one stat of a small file per read at the head, about 3 µs of CPU here, where the promise
    // form costs about 30 µs (a thread-pool round trip) and was a tenth of a read's CPU (`npm run bench -- --only=read`).
    const info = statSync(file, { bigint: true });
    // A directory (`refs/tags/x` while tag `x/y` exists) is no ref.
    if (!info.isFile()) return undefined;
    return {
      signature: `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`,
      racy: BigInt(Date.now()) - info.mtimeNs / 1_000_000n < RACY_WINDOW_MS,
      size: info.size,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

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
    const value = await this.lookup(gitdir, ref);
    return value === NO_LOOSE_REF ? undefined : value;
  }

  /** The ref's value; NO_LOOSE_REF when there is no loose ref file; undefined for a file that holds no sha (a symbolic ref). */
  async lookup(gitdir: string, ref: string): Promise<string | typeof NO_LOOSE_REF | undefined> {
    const file = path.join(gitdir, ref);
    const state = fileState(file);
    if (state === undefined) {
      this.cache.delete(file);
      return NO_LOOSE_REF;
    }
    const cached = this.cache.get(file);
    if (!state.racy && cached?.signature === state.signature) return cached.value;
    let value;
    try {
      value = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      // Deleted (or packed away) since the stat.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NO_LOOSE_REF;
      throw error;
    }
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
      state = fileState(file);
    } catch {
      return undefined;
    }
    return state !== undefined && !state.racy && state.signature === cached.signature ? cached.value : undefined;
  }
}

interface CachedPackedRefs {
  readonly signature: string;
  readonly refs: ReadonlyMap<string, string>;
  /** The file's size, the measure of the cache's bound. */
  readonly bytes: number;
}

/**
 * Reads `packed-refs` (what `git pack-refs` and `git gc` move refs into) parsed into a map from ref to value, cached by
 * the file's signature with the same racy-window rule as LooseRefReader: one stat per read while the file is unchanged
 * and older than the window, never a stale map (git replaces the file by a rename, so every change is a new signature).
 * Peeled lines (`^<sha>`) and comments are skipped. Bounded by the total size of the files kept.
 */
export class PackedRefsReader {
  private readonly cache: LRUCache<string, CachedPackedRefs>;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.cache = new LRUCache({ maxSize: Math.max(1, maxBytes), sizeCalculation: (entry) => Math.max(1, entry.bytes) });
  }

  /** The packed refs of a repository; empty when it has no `packed-refs` file. */
  async read(gitdir: string): Promise<ReadonlyMap<string, string>> {
    const file = path.join(gitdir, 'packed-refs');
    const state = fileState(file);
    if (state === undefined) {
      this.cache.delete(file);
      return new Map();
    }
    const cached = this.cache.get(file);
    if (!state.racy && cached?.signature === state.signature) return cached.refs;
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const refs = parsePackedRefs(text);
    if (state.racy) this.cache.delete(file);
    else this.cache.set(file, { signature: state.signature, refs, bytes: Number(state.size) });
    return refs;
  }
}

function parsePackedRefs(text: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{40}) (.+?)\r?$/.exec(line);
    if (match && !refs.has(match[2]!)) refs.set(match[2]!, match[1]!);
  }
  return refs;
}

/** Directories up to this size (bytes, as stat reports it: one 4 KiB block holds about a hundred short names) are read synchronously. */
const SMALL_DIRECTORY_BYTES = 16 * 1024;

/** The entries of a directory; undefined when it is gone (or is a file now). */
async function readDirectory(directory: string): Promise<Dirent[] | undefined> {
  try {
    // Like the ref stats above: a small directory is read synchronously (a few µs) rather than through the thread pool
    // (a round trip per directory); a big one, whose read could hold the event loop, asynchronously.
    const info = statSync(directory);
    if (!info.isDirectory()) return undefined;
    if (info.size <= SMALL_DIRECTORY_BYTES) return readdirSync(directory, { withFileTypes: true });
    return await readdir(directory, { withFileTypes: true });
  } catch (error) {
    // A directory removed (or replaced by a file) while we walk it holds no refs.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

async function listLooseRefs(gitdir: string, directory: string): Promise<string[]> {
  const entries = await readDirectory(path.join(gitdir, directory));
  if (entries === undefined) return [];
  const refs: string[] = [];
  for (const entry of entries) {
    const ref = `${directory}/${entry.name}`;
    if (entry.isDirectory()) refs.push(...(await listLooseRefs(gitdir, ref)));
    else if (entry.isFile()) refs.push(ref);
  }
  return refs;
}

/**
 * Names of the refs under `prefix` (`refs/tags`), loose and packed, relative to it and sorted. Like git,
 * it skips what is not a valid ref name: lock files (`v1.lock`, a ref being written or left by a crash)
 * are never listed. `packedRefs` caches the parsed `packed-refs` (without it, the file is read each time).
 */
export async function listRefNames(gitdir: string, prefix: string, packedRefs = new PackedRefsReader(0)): Promise<string[]> {
  const names = new Set<string>();
  for (const ref of await listLooseRefs(gitdir, prefix)) names.add(ref);
  for (const ref of (await packedRefs.read(gitdir)).keys()) if (ref.startsWith(`${prefix}/`)) names.add(ref);
  return [...names]
    .filter((ref) => isGitRefNameValid(ref))
    .map((ref) => ref.slice(prefix.length + 1))
    .sort();
}
