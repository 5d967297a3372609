import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { runKillLoop } from '@metastore/fault-proxy/testing';
import { auditDataDir, lockFiles, type CrashAudit } from './crash-audit';
import { parseCrashWriterLine, type AcknowledgedWrite, type FailedWrite } from './crash-writes';

/** Settings of a crash loop. */
export interface CrashLoopOptions {
  /** The data directory the writers share (created by the caller, kept afterwards). */
  readonly dataDir: string;
  /** How many writer processes to start and kill. */
  readonly kills: number;
  /** Each writer is killed a random time between 0 and this many milliseconds after it says it is ready. */
  readonly maxDelayMs?: number;
}

/** What the kills left on disk for the next writer to cope with: how many kills left at least one new such file. */
export interface CrashLeftovers {
  /** `refs/**.lock` or `packed-refs.lock`: the kill hit a ref update. */
  readonly refLocks: number;
  /** `objects/xx/tmp_obj_*`: the kill hit an object write. */
  readonly temporaryObjects: number;
  /** `metastore-*` in a repository's root: the kill hit a lock being taken or a ref value being written. */
  readonly temporaryRefFiles: number;
  /** `.staging/create-*`: the kill hit a dataset create. */
  readonly stagedCreates: number;
}

/** The outcome of a crash loop: what the writers were told, what the kills left, and the audit afterwards. */
export interface CrashLoopResult extends CrashAudit {
  readonly kills: number;
  readonly failedWrites: readonly FailedWrite[];
  /** Writers that exited before they were killed, with their stderr. */
  readonly writerErrors: readonly string[];
  readonly leftovers: CrashLeftovers;
}

async function entries(directory: string): Promise<string[]> {
  return readdir(directory).catch(() => []);
}

/** The leftovers in the data directory right now, by kind (paths). */
async function scanLeftovers(dataDir: string): Promise<Record<keyof CrashLeftovers, Set<string>>> {
  const found = {
    refLocks: new Set<string>(),
    temporaryObjects: new Set<string>(),
    temporaryRefFiles: new Set<string>(),
    stagedCreates: new Set<string>(),
  };
  for (const name of await entries(path.join(dataDir, '.staging'))) if (name.startsWith('create-')) found.stagedCreates.add(name);
  const repositories = path.join(dataDir, 'repositories');
  for (const owner of await entries(repositories)) {
    for (const repository of await entries(path.join(repositories, owner))) {
      const gitdir = path.join(repositories, owner, repository);
      for (const name of await entries(gitdir)) {
        if (name === 'packed-refs.lock') found.refLocks.add(path.join(gitdir, name));
        if (name.startsWith('metastore-')) found.temporaryRefFiles.add(path.join(gitdir, name));
      }
      for (const lock of await lockFiles(path.join(gitdir, 'refs'))) found.refLocks.add(path.join(gitdir, 'refs', lock));
      for (const fanout of await entries(path.join(gitdir, 'objects'))) {
        for (const name of await entries(path.join(gitdir, 'objects', fanout))) {
          if (name.startsWith('tmp_obj_')) found.temporaryObjects.add(path.join(gitdir, 'objects', fanout, name));
        }
      }
    }
  }
  return found;
}

/**
 * Starts the crash writer (commits, tag creates and dataset creates against `dataDir`, one line per
 * acknowledged write) `kills` times in a row, each time killing it with SIGKILL a random time after it is
 * ready (`runKillLoop`); then audits the data directory (see {@link auditDataDir}). The next writer always starts on what
 * the last kill left: stale locks, temporary files, writes retried on the same head.
 */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const acknowledged: AcknowledgedWrite[] = [];
  const failedWrites: FailedWrite[] = [];
  const loop = await runKillLoop({
    entryPoint: path.join(__dirname, 'crash-writer.main.ts'),
    tsconfig: path.resolve(__dirname, '../../../../tsconfig.base.json'),
    args: () => [options.dataDir],
    kills: options.kills,
    maxDelayMs: options.maxDelayMs ?? 250,
    isReady: (text) => parseCrashWriterLine(text)?.type === 'ready',
    scanLeftovers: () => scanLeftovers(options.dataDir),
  });
  for (const text of loop.lines) {
    const line = parseCrashWriterLine(text);
    if (line?.type === 'ack') acknowledged.push(line.write);
    else if (line?.type === 'failed') failedWrites.push(line.write);
  }
  const audit = await auditDataDir(options.dataDir, acknowledged);
  return { ...audit, kills: options.kills, failedWrites, writerErrors: loop.childErrors, leftovers: loop.leftovers };
}
