// Bundles each entry point of the bases with esbuild: workspace bricks are inlined, npm packages stay external (installed beside dist/).
// With --if-changed (`npm start`), only what is out of date: the Prisma client is generated when it is missing or older than
// its schema or the lockfile, and a bundle is built when it is missing or older than one of its inputs: every file esbuild
// read for it last time (its metafile, kept in dist/build-inputs.json), the lockfile, package.json, the tsconfig and this script.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';

const bases = [
  { name: 'metadata-api', entry: 'bases/metadata-api/src/main.ts' },
  { name: 'sync-worker', entry: 'bases/sync-worker/src/main.ts' },
  // The `metastore` command line: the sync-worker base's second entry point, its own bundle (`npm run metastore`).
  { name: 'cli', entry: 'bases/sync-worker/src/cli-main.ts' },
  { name: 'search-indexer', entry: 'bases/search-indexer/src/main.ts' },
];

const ifChanged = process.argv.includes('--if-changed');
const INPUTS_FILE = 'dist/build-inputs.json';
/** Inputs of every bundle that esbuild's metafile does not list (the lockfile stands for node_modules). */
const SHARED_INPUTS = ['package-lock.json', 'package.json', 'tsconfig.base.json', 'tools/build.mjs'];
const PRISMA_SCHEMA = 'components/catalog-postgres/prisma/schema.prisma';
const PRISMA_CLIENT = 'components/catalog-postgres/src/generated/prisma/client.ts';

function modifiedAt(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The first of `inputs` that is missing or not older than `output` (itself missing: `output`), else undefined. */
function newerInput(output, inputs) {
  const builtAt = modifiedAt(output);
  if (builtAt === undefined) return output;
  return inputs.find((input) => (modifiedAt(input) ?? Infinity) >= builtAt);
}

function readRecordedInputs() {
  try {
    return JSON.parse(readFileSync(INPUTS_FILE, 'utf8'));
  } catch {
    return {};
  }
}

if (ifChanged) {
  const reason = newerInput(PRISMA_CLIENT, [PRISMA_SCHEMA, 'package-lock.json']);
  if (reason !== undefined) {
    console.log(`generating the Prisma client (${reason} changed)`);
    const generated = spawnSync('npm', ['run', 'db:generate', '--silent'], { stdio: 'inherit' });
    if (generated.status !== 0) process.exit(generated.status ?? 1);
  }
}

const recorded = readRecordedInputs();
for (const base of bases) {
  const outfile = `dist/${base.name}/main.js`;
  if (ifChanged && recorded[base.name]) {
    const changed = newerInput(outfile, [...SHARED_INPUTS, ...recorded[base.name]]);
    if (changed === undefined) {
      console.log(`${outfile} is up to date`);
      continue;
    }
  }
  // Loaded only when something is built: a start with nothing to build stays quick.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [base.entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    // Workspace bricks are resolved through tsconfig paths and inlined; only npm packages stay external.
    tsconfig: 'tsconfig.base.json',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  recorded[base.name] = Object.keys(result.metafile.inputs);
  writeFileSync(INPUTS_FILE, `${JSON.stringify(recorded, null, 1)}\n`);
  console.log(`built ${outfile}`);
}
