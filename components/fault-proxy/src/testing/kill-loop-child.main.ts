/**
 * The child of the kill loop's own spec (`node <bundle> <dir> <run> hang|exit`). `hang`: leaves a file `left-<run>` in
 * `dir`, says it is ready, acknowledges `ack <run> 0`, starts a line it never ends and waits to be killed. `exit`: fails
 * at once, before it is ready.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const [directory, run, mode] = process.argv.slice(2);
if (!directory || !run || !mode) throw new Error('usage: kill-loop-child <dir> <run> hang|exit');
if (mode === 'exit') {
  process.stderr.write('boom\n');
  process.exit(2);
}
// The file before the output, and one write: whenever the kill comes, both lines and the file are there.
writeFileSync(path.join(directory, `left-${run}`), '');
process.stdout.write(`ready\nack ${run} 0\ntorn`);
setInterval(() => undefined, 60_000);
