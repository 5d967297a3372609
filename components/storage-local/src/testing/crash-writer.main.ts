/**
 * The crash writer as a process (`node <bundle> <data dir>`): writes to the local git storage until it is
 * killed, one JSON line per acknowledged or refused write on stdout. Started and killed by runCrashLoop.
 */
import { LocalGitStorage } from '../lib/local-git.adapter';
import { parseLocalGitStorageConfig } from '../lib/local-git.config';
import { runCrashWriter } from './crash-writes';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-writer <data dir>');
const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
// Writes to a pipe are synchronous on Linux (https://nodejs.org/api/process.html#a-note-on-process-io): a line is in
// the pipe before the next write starts, so a kill never loses an acknowledgement already made.
runCrashWriter(storage, (line) => process.stdout.write(line)).catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
