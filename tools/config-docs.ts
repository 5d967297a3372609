// `npm run docs:config`: rewrites the README's configuration tables (between `<!-- config:begin ... -->` and `<!-- config:end -->`)
// from the runtime's schema; components/runtime's configuration.docs.spec.ts fails while they disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readmeDifferences, writeConfigurationTables } from '@metastore/runtime';

const file = path.resolve(__dirname, '..', 'README.md');
const before = readFileSync(file, 'utf8');
const after = writeConfigurationTables(before);
if (after !== before) writeFileSync(file, after);
const left = readmeDifferences(after);
for (const difference of left) process.stderr.write(`README.md: ${difference}\n`);
process.stdout.write(`README.md: configuration tables ${after === before ? 'already up to date' : 'rewritten'}\n`);
process.exitCode = left.length === 0 ? 0 : 1;
