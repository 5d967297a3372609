// Bundles each entry point of the bases with esbuild: workspace bricks are inlined, npm packages stay external (installed beside dist/).
import { build } from 'esbuild';

const bases = [
  { name: 'metadata-api', entry: 'bases/metadata-api/src/main.ts' },
  { name: 'sync-worker', entry: 'bases/sync-worker/src/main.ts' },
  // The `metastore` command line: the sync-worker base's second entry point, its own bundle (`npm run metastore`).
  { name: 'cli', entry: 'bases/sync-worker/src/cli-main.ts' },
  { name: 'search-indexer', entry: 'bases/search-indexer/src/main.ts' },
];

for (const base of bases) {
  await build({
    entryPoints: [base.entry],
    outfile: `dist/${base.name}/main.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    // Workspace bricks are resolved through tsconfig paths and inlined; only npm packages stay external.
    tsconfig: 'tsconfig.base.json',
    sourcemap: true,
    logLevel: 'warning',
  });
  console.log(`built dist/${base.name}/main.js`);
}
