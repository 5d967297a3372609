/**
 * The journal crash writer as a process (`node <bundle> <journal dir> <run>`): appends entries until it is killed, one
 * line `ack <run> <index>` on stdout per append that resolved. Started and killed by runJournalCrashLoop.
 */
import { FsChangeJournal } from '../lib/fs-change-journal.adapter';
import { crashEntry } from './crash-entry';

const [directory, run] = process.argv.slice(2);
if (!directory || !run) throw new Error('usage: journal-crash-writer <journal dir> <run>');
const journal = new FsChangeJournal({ directory });

async function write(): Promise<void> {
  process.stdout.write('ready\n');
  for (let index = 0; ; index += 1) {
    await journal.append(crashEntry(Number(run), index));
    // Writes to a pipe are synchronous on Linux: the line is out before the next append starts.
    process.stdout.write(`ack ${run} ${index}\n`);
  }
}

write().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
