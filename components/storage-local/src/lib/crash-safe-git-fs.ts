import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import type { PromiseFsClient } from 'isomorphic-git';
import { nonce, syncDirectory, writeFileAtomically } from '@metastore/durable-files';

const inflateAsync = promisify(inflate);
const LOOSE_OBJECT = /[\\/]objects[\\/]([0-9a-f]{2})[\\/]([0-9a-f]{38})$/;
const OBJECT_HEADER = /^(blob|tree|commit|tag) (\d+)$/;

/** A loose object file that is empty or does not hold the object its name promises (left by a crash mid-write). */
export class CorruptObjectError extends Error {
  readonly code = 'ECORRUPTOBJECT';

  constructor(
    readonly oid: string,
    reason: string,
  ) {
    super(`git object ${oid} is corrupt: ${reason}`);
  }
}

function looseObjectId(file: unknown): string | undefined {
  const match = typeof file === 'string' ? LOOSE_OBJECT.exec(file) : null;
  return match ? `${match[1]}${match[2]}` : undefined;
}

/**
 * What is wrong with the bytes of a loose object file, or undefined when they inflate (zlib checks its own checksum)
 * to `<type> <size>\0<content>` of the size the header says, and, with `oid`, hash to it.
 */
async function objectProblem(deflated: Buffer, oid?: string): Promise<string | undefined> {
  if (deflated.length === 0) return 'the loose object file is empty';
  let raw: Buffer;
  try {
    raw = await inflateAsync(deflated);
  } catch (error) {
    return `the loose object file does not inflate (${(error as Error).message})`;
  }
  const end = raw.indexOf(0);
  const header = end === -1 ? undefined : OBJECT_HEADER.exec(raw.subarray(0, end).toString('latin1'));
  if (!header) return 'the loose object has no valid header';
  if (Number(header[2]) !== raw.length - end - 1)
    return `the loose object holds ${raw.length - end - 1} bytes, its header says ${header[2]}`;
  if (oid !== undefined && createHash('sha1').update(raw).digest('hex') !== oid) return 'the loose object hashes to another sha';
  return undefined;
}

/** Whether a loose object file holds the object its name promises (objectProblem finds nothing). */
async function holdsObject(file: string, oid: string): Promise<boolean> {
  return (await objectProblem(await fs.promises.readFile(file), oid)) === undefined;
}

function notFound(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no intact object at ${file}`), { code: 'ENOENT' });
}

/**
 * Whether `file` is a loose object's file (`objects/xx/<38 hex>`): one this file system wrote is fsynced before it got
 * that name, so a repository it built needs only its other files and its directories synced.
 */
export function isSyncedObjectFile(file: string): boolean {
  return looseObjectId(file) !== undefined;
}

/**
 * The file system handed to isomorphic-git (`client`). Its object writes (`writeBlob`, `writeTree`,
 * `writeCommit`, `writeTag` all check `fs.exists` and then write `objects/xx/yyyy` in place) become crash-safe:
 * - a write goes to `objects/xx/tmp_obj_<random>` (git's own prefix, which `git fsck` and `git gc` know),
 *   is fsynced and renamed into place, so a killed writer never leaves a partial object under an object's name;
 * - the existence check reads an existing object back and reports an empty or corrupt one (a crash of
 *   an older version, a power loss) as absent, so the retried write replaces it instead of trusting it;
 * - reading an empty, truncated or otherwise undecodable object is a {@link CorruptObjectError} naming it
 *   (isomorphic-git's own errors do not); the hash is left to isomorphic-git, whose mismatch error names the sha.
 * The renames are made durable by {@link syncWrittenObjects}, once per write, before the ref that makes
 * the objects reachable moves. Everything else is Node's own `fs.promises`.
 */
export class CrashSafeGitFs {
  /** Directories with renames not yet synced, by repository. */
  private readonly unsynced = new Map<string, Set<string>>();
  readonly client: PromiseFsClient;

  constructor() {
    const base = fs.promises;
    const write = (file: string, data: Uint8Array | string) => this.writeObject(file, data);
    const reused = (file: string) => this.unsyncedIn(path.dirname(path.dirname(path.dirname(file)))).add(path.dirname(file));
    this.client = {
      promises: {
        ...base,
        async stat(file: fs.PathLike, options?: fs.StatOptions) {
          const info = await base.stat(file, options);
          const oid = looseObjectId(file);
          if (oid && !(await holdsObject(String(file), oid))) throw notFound(String(file));
          // An intact object a killed writer left is reused as it is: its directory is synced with this write's.
          if (oid) reused(String(file));
          return info;
        },
        async readFile(file: fs.PathLike, options?: Parameters<typeof base.readFile>[1]) {
          const content = await base.readFile(file, options);
          const oid = looseObjectId(file);
          if (!oid) return content;
          // Inflated once more than isomorphic-git does: objects are small and read once (the adapter caches contents).
          const problem = await objectProblem(Buffer.isBuffer(content) ? content : Buffer.from(content));
          if (problem !== undefined) throw new CorruptObjectError(oid, problem);
          return content;
        },
        async writeFile(file: fs.PathLike, data: Uint8Array | string, options?: Parameters<typeof base.writeFile>[2]) {
          if (!looseObjectId(file)) return base.writeFile(file, data, options);
          return write(String(file), data);
        },
      },
    };
  }

  /** Syncs the object directories that gained files in `gitdir` since the last call: the objects of a write are then durable. */
  async syncWrittenObjects(gitdir: string): Promise<void> {
    const directories = this.unsynced.get(path.resolve(gitdir));
    if (!directories) return;
    this.unsynced.delete(path.resolve(gitdir));
    await Promise.all([...directories].map((directory) => syncDirectory(directory)));
  }

  /**
   * Forgets the object directories awaiting a sync in `gitdir`, for a caller that syncs the whole repository itself
   * (a new one, with `syncTree`): its loose object files are synced already ({@link isSyncedObjectFile}).
   */
  forgetWrittenObjects(gitdir: string): void {
    this.unsynced.delete(path.resolve(gitdir));
  }

  private unsyncedIn(gitdir: string): Set<string> {
    const key = path.resolve(gitdir);
    let directories = this.unsynced.get(key);
    if (!directories) this.unsynced.set(key, (directories = new Set()));
    return directories;
  }

  private async writeObject(file: string, data: Uint8Array | string): Promise<void> {
    const directory = path.dirname(file);
    const objects = path.dirname(directory);
    const directories = this.unsyncedIn(path.dirname(objects));
    if ((await mkdir(directory, { recursive: true })) !== undefined) directories.add(objects);
    // Loose objects are read-only, as git writes them.
    await writeFileAtomically(file, data, path.join(directory, `tmp_obj_${nonce()}`), 0o444);
    directories.add(directory);
  }
}
