import { kill } from 'node:process';
import { link, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDirectoryDurably, nonce, syncDirectory, writeNewFileSynced } from '@metastore/durable-files';

/** Thrown when another live writer holds the ref's lock file. */
export class RefLockedError extends Error {}

/**
 * An ownerless lock (written by git itself, or by a writer whose host or process cannot be checked from
 * here) counts as stale once it is this old. Writers hold ref locks for milliseconds (git itself waits
 * 100 ms for one, `core.filesRefLockTimeout`), so a minute is far beyond any live writer.
 */
export const STALE_LOCK_AFTER_MS = 60_000;

/** Prefix of this module's temporary files in the repository's root directory (never read by git). */
const TEMPORARY_PREFIX = 'metastore-';
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP']);

/** Who holds a lock: enough for another process on the same host to tell whether the holder still runs. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** Linux only: the kernel's boot id, the pid namespace and the process's start time (clock ticks since boot). */
  readonly bootId?: string;
  readonly pidNamespace?: string;
  readonly startTicks?: string;
  /** Random per process: tells this process apart from an earlier one that had the same pid. */
  readonly process: string;
  /** Random per lock: names the lock's temporary files. */
  readonly nonce: string;
  readonly acquiredAt: string;
}

interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  readonly bootId?: string;
  readonly pidNamespace?: string;
  readonly startTicks?: string;
  readonly process: string;
}

async function readOptional(read: () => Promise<string>): Promise<string | undefined> {
  try {
    return (await read()).trim();
  } catch {
    return undefined;
  }
}

/**
 * A running process's start time: field 22 of /proc/<pid>/stat (fields count on after the parenthesised
 * command name, which may hold spaces). Undefined when the pid does not run, or is a zombie (killed, not yet reaped).
 */
async function processStartTicks(pid: number | 'self'): Promise<string | undefined> {
  const stat = await readOptional(() => readFile(`/proc/${pid}/stat`, 'utf8'));
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

let self: Promise<ProcessIdentity> | undefined;

function currentProcess(): Promise<ProcessIdentity> {
  self ??= (async () => {
    const [bootId, pidNamespace, startTicks] = await Promise.all([
      readOptional(() => readFile('/proc/sys/kernel/random/boot_id', 'utf8')),
      readOptional(() => readlink('/proc/self/ns/pid')),
      processStartTicks('self'),
    ]);
    return { pid: process.pid, host: os.hostname(), bootId, pidNamespace, startTicks, process: nonce() };
  })();
  return self;
}

/** A new lock owner record for this process. */
export async function currentLockOwner(): Promise<LockOwner> {
  return { ...(await currentProcess()), nonce: nonce(), acquiredAt: new Date().toISOString() };
}

function parseOwner(content: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(content) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string' || typeof owner.process !== 'string') return undefined;
    if (typeof owner.nonce !== 'string' || !/^[0-9a-f]+$/.test(owner.nonce)) return undefined;
    return owner as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * Whether a lock's owner still runs. `unknown` when this process cannot tell (another host, another
 * pid namespace or boot, or a live pid that may have been reused on a system without /proc).
 */
async function ownerState(owner: LockOwner): Promise<'alive' | 'dead' | 'unknown'> {
  const me = await currentProcess();
  if (owner.host !== me.host || owner.bootId !== me.bootId || owner.pidNamespace !== me.pidNamespace) return 'unknown';
  if (owner.pid === me.pid) return owner.process === me.process ? 'alive' : 'dead';
  if (me.bootId !== undefined) {
    // Same kernel boot and pid namespace: /proc/<pid>/stat exists exactly while the pid runs, and
    // its start time tells the lock's owner apart from a later process that reused the pid.
    const startTicks = await processStartTicks(owner.pid);
    return startTicks !== undefined && startTicks === owner.startTicks ? 'alive' : 'dead';
  }
  try {
    kill(owner.pid, 0);
    return 'unknown';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'unknown';
  }
}

interface ObservedLock {
  readonly content: string;
  readonly signature: string;
  readonly ageMs: number;
}

async function observe(file: string): Promise<ObservedLock | undefined> {
  try {
    const info = await stat(file, { bigint: true });
    const content = await readFile(file, 'utf8');
    return { content, signature: `${info.dev}:${info.ino}:${info.mtimeNs}`, ageMs: Date.now() - Number(info.mtimeNs / 1_000_000n) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes this module's temporary files for one lock, and any left by a crash longer ago than the stale bound. */
async function removeTemporaries(gitdir: string, lockNonce: string | undefined): Promise<void> {
  const names = await readdir(gitdir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(TEMPORARY_PREFIX))
      .map(async (name) => {
        const file = path.join(gitdir, name);
        if (lockNonce !== undefined && name.endsWith(`-${lockNonce}`)) return rm(file, { force: true });
        const info = await stat(file).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > STALE_LOCK_AFTER_MS) await rm(file, { force: true });
      }),
  );
}

/**
 * Breaks `lockPath` if its owner is dead (or, ownerless, it is older than the bound). Returns false when
 * the lock is held by a live writer. The lock is first renamed aside and only deleted when what moved is
 * the very lock judged stale: if another process broke it first and a new writer took the lock in
 * between, that writer's lock is linked back into place.
 */
async function breakIfStale(gitdir: string, lockPath: string): Promise<boolean> {
  const observed = await observe(lockPath);
  if (!observed) return true;
  const owner = parseOwner(observed.content);
  const state = owner ? await ownerState(owner) : 'unknown';
  if (state === 'alive' || (state === 'unknown' && observed.ageMs <= STALE_LOCK_AFTER_MS)) return false;
  const aside = path.join(gitdir, `${TEMPORARY_PREFIX}stale-${nonce()}`);
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = await observe(aside);
  if (moved && (moved.signature !== observed.signature || moved.content !== observed.content)) {
    await link(aside, lockPath).catch(() => undefined);
  }
  await rm(aside, { force: true });
  await removeTemporaries(gitdir, owner?.nonce);
  return true;
}

/** A lock file this process holds (`<target>.lock`, created exclusively, holding its owner record). */
export class HeldLock {
  private released = false;

  constructor(
    private readonly gitdir: string,
    private readonly target: string,
    private readonly record: string,
    private readonly owner: LockOwner,
  ) {}

  /** The lock file's path. */
  get lockPath(): string {
    return `${this.target}.lock`;
  }

  /**
   * Replaces the locked file with `content` as git does: the content is written to a temporary file and
   * fsynced, then (the lock still ours) renamed over the target, and the target's directory is synced.
   */
  async replaceTarget(content: string): Promise<void> {
    const temporary = path.join(this.gitdir, `${TEMPORARY_PREFIX}new-${this.owner.nonce}`);
    try {
      await writeNewFileSynced(temporary, content);
      await this.assertHeld();
      await rename(temporary, this.target);
    } finally {
      await rm(temporary, { force: true });
    }
    await syncDirectory(path.dirname(this.target));
  }

  /** Deletes the locked file (the lock still ours) and syncs its directory. */
  async removeTarget(): Promise<void> {
    await this.assertHeld();
    await rm(this.target, { force: true });
    await syncDirectory(path.dirname(this.target));
  }

  /** Removes the lock file if it is still this one. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if ((await readFile(this.lockPath, 'utf8').catch(() => undefined)) === this.record) await rm(this.lockPath, { force: true });
  }

  private async assertHeld(): Promise<void> {
    if ((await readFile(this.lockPath, 'utf8').catch(() => undefined)) !== this.record) {
      throw new RefLockedError(`the lock on ${path.relative(this.gitdir, this.target)} was taken over`);
    }
  }
}

/**
 * Takes `<target>.lock` with git's lock-file protocol (see https://git-scm.com/docs/api-lockfile, so
 * `git push` into the same repository never interleaves with us), recording this process as its owner.
 * The record is staged in a temporary file and hard-linked into place, so the lock never exists without
 * its owner, even if the process is killed at that moment. A stale lock (see {@link breakIfStale}) is
 * broken; a live one is a {@link RefLockedError}.
 */
export async function acquireLock(gitdir: string, target: string): Promise<HeldLock> {
  const owner = await currentLockOwner();
  const record = `${JSON.stringify(owner)}\n`;
  const lock = new HeldLock(gitdir, target, record, owner);
  const staged = path.join(gitdir, `${TEMPORARY_PREFIX}lock-${owner.nonce}`);
  // A ref only in packed-refs, or the first under its prefix, may have no directory yet (git creates it for the lock,
  // too); a new one is synced into its parent, or the ref renamed into it could vanish with it in a crash.
  await makeDirectoryDurably(path.dirname(target));
  await writeFile(staged, record, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await link(staged, lock.lockPath);
        return lock;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (NO_HARD_LINKS.has(code)) {
          await writeFile(lock.lockPath, record, { flag: 'wx' }).catch((fallback: NodeJS.ErrnoException) => {
            if (fallback.code !== 'EEXIST') throw fallback;
          });
          if ((await readFile(lock.lockPath, 'utf8').catch(() => undefined)) === record) return lock;
        } else if (code !== 'EEXIST') {
          throw error;
        }
      }
      if (!(await breakIfStale(gitdir, lock.lockPath))) break;
    }
  } finally {
    await rm(staged, { force: true });
  }
  throw new RefLockedError(`${path.relative(gitdir, target)} is locked by another writer`);
}

/** Runs `work` holding the lock on `<gitdir>/<ref>`, and releases it whatever happens. */
export async function withRefLock<T>(gitdir: string, ref: string, work: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(gitdir, path.join(gitdir, ref));
  try {
    return await work(lock);
  } finally {
    await lock.release();
  }
}

/**
 * Compare-and-swap of a loose ref under its lock. `expected` undefined means the ref must not exist yet.
 * Returns false when the ref holds another value.
 */
export async function compareAndSwapRef(
  gitdir: string,
  ref: string,
  expected: string | undefined,
  next: string,
  readCurrent: () => Promise<string | undefined>,
): Promise<boolean> {
  return withRefLock(gitdir, ref, async (lock) => {
    if ((await readCurrent()) !== expected) return false;
    await lock.replaceTarget(`${next}\n`);
    return true;
  });
}

/** `packed-refs` without `ref` (its line and the peeled `^` line after it). */
function withoutPackedRef(packed: string, ref: string): string {
  const lines = packed.split('\n');
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.slice(41) === ref && /^[0-9a-f]{40} /.test(line)) {
      while (lines[index + 1]?.startsWith('^')) index += 1;
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

/**
 * Deletes a ref that holds `expected` as git does: under the ref's lock, first from `packed-refs`
 * (rewritten under `packed-refs.lock`), then the loose file, so a crash in between leaves the ref as it was.
 * Returns false when the ref holds another value.
 */
export async function deleteRef(
  gitdir: string,
  ref: string,
  expected: string,
  readCurrent: () => Promise<string | undefined>,
): Promise<boolean> {
  return withRefLock(gitdir, ref, async (lock) => {
    if ((await readCurrent()) !== expected) return false;
    const packedPath = path.join(gitdir, 'packed-refs');
    const readPacked = () => readFile(packedPath, 'utf8').catch(() => '');
    const packedBefore = await readPacked();
    if (withoutPackedRef(packedBefore, ref) !== packedBefore) {
      const packedLock = await acquireLock(gitdir, packedPath);
      try {
        const packed = await readPacked();
        const kept = withoutPackedRef(packed, ref);
        if (kept !== packed) await packedLock.replaceTarget(kept);
      } finally {
        await packedLock.release();
      }
    }
    await lock.removeTarget();
    return true;
  });
}
