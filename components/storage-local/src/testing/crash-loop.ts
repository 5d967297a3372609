import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { auditDataDir, type CrashAudit } from './crash-audit';
import { parseCrashWriterLine, type AcknowledgedWrite, type FailedWrite } from './crash-writes';

/** Settings of a crash loop. */
export interface CrashLoopOptions {
  /** The data directory the writers share (created by the caller, kept afterwards). */
  readonly dataDir: string;
  /** How many writer processes to start and kill. */
  readonly kills: number;
  /** Each writer is killed a random time between 0 and this many milliseconds after it says it is ready. */
  readonly maxDelayMs?: number;
  /** Called after each kill (progress). */
  readonly onKill?: (index: number, acknowledged: number) => void;
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

/** Bundles the crash writer (every dependency inlined) into a file Node runs directly: one start costs ~0.1 s, not tsx's second. */
export async function bundleCrashWriter(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'crash-writer.cjs');
  await build({
    entryPoints: [path.join(__dirname, 'crash-writer.main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    tsconfig: path.resolve(__dirname, '../../../../tsconfig.base.json'),
    logLevel: 'warning',
  });
  return outfile;
}

async function entries(directory: string): Promise<string[]> {
  return readdir(directory).catch(() => []);
}

async function lockFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true }).catch(() => [])) {
    const child = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await lockFiles(child)));
    else if (entry.name.endsWith('.lock')) found.push(child);
  }
  return found;
}

/** The leftovers in the data directory right now, by kind (paths). */
async function scanLeftovers(dataDir: string): Promise<Record<keyof CrashLeftovers, Set<string>>> {
  const found = { refLocks: new Set<string>(), temporaryObjects: new Set<string>(), temporaryRefFiles: new Set<string>(), stagedCreates: new Set<string>() };
  for (const name of await entries(path.join(dataDir, '.staging'))) if (name.startsWith('create-')) found.stagedCreates.add(name);
  const repositories = path.join(dataDir, 'repositories');
  for (const owner of await entries(repositories)) {
    for (const repository of await entries(path.join(repositories, owner))) {
      const gitdir = path.join(repositories, owner, repository);
      for (const name of await entries(gitdir)) {
        if (name === 'packed-refs.lock') found.refLocks.add(path.join(gitdir, name));
        if (name.startsWith('metastore-')) found.temporaryRefFiles.add(path.join(gitdir, name));
      }
      for (const lock of await lockFiles(path.join(gitdir, 'refs'))) found.refLocks.add(lock);
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
 * ready; then audits the data directory (see {@link auditDataDir}). The next writer always starts on what
 * the last kill left: stale locks, temporary files, writes retried on the same head.
 */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const maxDelayMs = options.maxDelayMs ?? 250;
  const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-crash-writer-'));
  const acknowledged: AcknowledgedWrite[] = [];
  const failedWrites: FailedWrite[] = [];
  const writerErrors: string[] = [];
  const leftovers = { refLocks: 0, temporaryObjects: 0, temporaryRefFiles: 0, stagedCreates: 0 };
  try {
    const script = await bundleCrashWriter(bundleDir);
    for (let index = 0; index < options.kills; index += 1) {
      const before = await scanLeftovers(options.dataDir);
      const child = spawn(process.execPath, [script, options.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let pending = '';
      let killed = false;
      let markReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop()!;
        for (const text of lines) {
          const line = parseCrashWriterLine(text);
          if (line?.type === 'ready') markReady();
          else if (line?.type === 'ack') acknowledged.push(line.write);
          else if (line?.type === 'failed') failedWrites.push(line.write);
        }
      });
      const closed = once(child, 'close');
      await Promise.race([ready, closed]);
      await sleep(Math.random() * maxDelayMs);
      killed = child.kill('SIGKILL');
      await closed;
      if (!killed || child.signalCode !== 'SIGKILL') writerErrors.push(`writer ${index} exited with ${child.exitCode}: ${stderr.trim()}`);
      const after = await scanLeftovers(options.dataDir);
      for (const kind of Object.keys(leftovers) as (keyof CrashLeftovers)[]) {
        if ([...after[kind]].some((file) => !before[kind].has(file))) leftovers[kind] += 1;
      }
      options.onKill?.(index, acknowledged.length);
    }
  } finally {
    await rm(bundleDir, { recursive: true, force: true });
  }
  const audit = await auditDataDir(options.dataDir, acknowledged);
  return { ...audit, kills: options.kills, failedWrites, writerErrors, leftovers };
}
