import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { runKillLoop } from '@metastore/fault-proxy/testing';
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

const temporaryFiles = async (directory: string) =>
  new Set((await readdir(directory).catch(() => [] as string[])).filter((name) => name.startsWith('.append-')));

/**
 * Starts a journal writer `kills` times on the same directory, each time killing it with SIGKILL a random time after it
 * is ready (`runKillLoop`), then opens the journal as the next process would and compares what it reads with what was
 * acknowledged.
 */
export async function runJournalCrashLoop(options: JournalCrashLoopOptions): Promise<JournalCrashLoopResult> {
  const loop = await runKillLoop({
    entryPoint: path.join(__dirname, 'journal-crash-writer.main.ts'),
    tsconfig: path.resolve(__dirname, '../../../../tsconfig.base.json'),
    args: (run) => [options.directory, String(run)],
    kills: options.kills,
    maxDelayMs: options.maxDelayMs ?? 150,
    scanLeftovers: async () => ({ appendsCutShort: await temporaryFiles(options.directory) }),
  });
  const acknowledged = loop.lines.flatMap((line) => {
    const ack = /^ack (\d+) (\d+)$/.exec(line);
    return ack ? [`${ack[1]}/${ack[2]}`] : [];
  });
  const entries = await new FsChangeJournal({ directory: options.directory }).read(Number.MAX_SAFE_INTEGER);
  const unreadable = entries.filter((entry) => entry.problem !== undefined).map((entry) => `${entry.key}: ${entry.problem}`);
  const read = entries.flatMap((entry) => (entry.change?.change.message ? [entry.change.change.message] : []));
  const found = new Set(read);
  const outOfOrder: string[] = [];
  for (let index = 1; index < read.length; index += 1) {
    const [run, position] = read[index]!.split('/').map(Number) as [number, number];
    const [previousRun, previousPosition] = read[index - 1]!.split('/').map(Number) as [number, number];
    if (run < previousRun || (run === previousRun && position <= previousPosition))
      outOfOrder.push(`${read[index - 1]} before ${read[index]}`);
  }
  return {
    kills: options.kills,
    acknowledged: acknowledged.length,
    lost: acknowledged.filter((write) => !found.has(write)),
    unreadable,
    outOfOrder,
    appendsCutShort: loop.leftovers.appendsCutShort,
    writerErrors: loop.childErrors,
  };
}
