import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { FsChangeJournal } from '../lib/fs-change-journal.adapter';

/** Settings of a journal crash loop. */
export interface JournalCrashLoopOptions {
  /** The journal directory the writers share (kept afterwards). */
  readonly directory: string;
  /** How many writer processes to start and kill. */
  readonly kills: number;
  /** Each writer is killed a random time between 0 and this many milliseconds after it says it is ready. */
  readonly maxDelayMs?: number;
}

/** What the kills left and what a journal opened afterwards reads. */
export interface JournalCrashLoopResult {
  readonly kills: number;
  /** Appends the writers saw resolve. */
  readonly acknowledged: number;
  /** Acknowledged appends not read back (`run/index`). */
  readonly lost: readonly string[];
  /** Entries read back as damaged (with the problem): a torn write read as an entry. */
  readonly unreadable: readonly string[];
  /** Entries read back out of append order (a later writer's before an earlier one's, or an index before a smaller one). */
  readonly outOfOrder: readonly string[];
  /** Kills after which a temporary file of an append cut short was left. */
  readonly appendsCutShort: number;
  /** Writers that exited before they were killed, with their stderr. */
  readonly writerErrors: readonly string[];
}

/** Bundles the crash writer (every dependency inlined) into a file Node runs directly. */
async function bundleWriter(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'journal-crash-writer.cjs');
  await build({
    entryPoints: [path.join(__dirname, 'journal-crash-writer.main.ts')],
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

const temporaryFiles = async (directory: string) => new Set((await readdir(directory).catch(() => [] as string[])).filter((name) => name.startsWith('.append-')));

/**
 * Starts a journal writer `kills` times on the same directory, each time killing it with SIGKILL a random time after it
 * is ready, then opens the journal as the next process would and compares what it reads with what was acknowledged.
 */
export async function runJournalCrashLoop(options: JournalCrashLoopOptions): Promise<JournalCrashLoopResult> {
  const maxDelayMs = options.maxDelayMs ?? 150;
  const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-journal-crash-'));
  const acknowledged: string[] = [];
  const writerErrors: string[] = [];
  let appendsCutShort = 0;
  try {
    const script = await bundleWriter(bundleDir);
    for (let run = 0; run < options.kills; run += 1) {
      const before = await temporaryFiles(options.directory);
      const child = spawn(process.execPath, [script, options.directory, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let pending = '';
      let markReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          if (line === 'ready') markReady();
          const ack = /^ack (\d+) (\d+)$/.exec(line);
          if (ack) acknowledged.push(`${ack[1]}/${ack[2]}`);
        }
      });
      const closed = once(child, 'close');
      await Promise.race([ready, closed]);
      await sleep(Math.random() * maxDelayMs);
      const killed = child.kill('SIGKILL');
      await closed;
      if (!killed || child.signalCode !== 'SIGKILL') writerErrors.push(`writer ${run} exited with ${child.exitCode}: ${stderr.trim()}`);
      if ([...(await temporaryFiles(options.directory))].some((name) => !before.has(name))) appendsCutShort += 1;
    }
  } finally {
    await rm(bundleDir, { recursive: true, force: true });
  }
  const entries = await new FsChangeJournal({ directory: options.directory }).read(Number.MAX_SAFE_INTEGER);
  const unreadable = entries.filter((entry) => entry.problem !== undefined).map((entry) => `${entry.key}: ${entry.problem}`);
  const read = entries.flatMap((entry) => (entry.change?.change.message ? [entry.change.change.message] : []));
  const found = new Set(read);
  const outOfOrder: string[] = [];
  for (let index = 1; index < read.length; index += 1) {
    const [run, position] = read[index]!.split('/').map(Number) as [number, number];
    const [previousRun, previousPosition] = read[index - 1]!.split('/').map(Number) as [number, number];
    if (run < previousRun || (run === previousRun && position <= previousPosition)) outOfOrder.push(`${read[index - 1]} before ${read[index]}`);
  }
  return {
    kills: options.kills,
    acknowledged: acknowledged.length,
    lost: acknowledged.filter((write) => !found.has(write)),
    unreadable,
    outOfOrder,
    appendsCutShort,
    writerErrors,
  };
}
