/**
 * `npm run bench`: load-tests the built API with autocannon and prints latency (p50/p99), throughput and counts, section by
 * section. A benchmark, not a test: nothing here asserts timings. The sections, in order: the read path side by side with
 * bare Express and node:http (read.bench.ts); every endpoint on each backend (local git, GitHub, GitLab) with its ratios to
 * the ceilings and the API's memory under load (endpoints.bench.ts); the GitHub and GitLab adapters' requests per
 * operation; the catalog's listing and search on 100,000 datasets; event delivery through Redis; sync cost against N; writes.
 * `--only=read|endpoints|github|gitlab|catalog|events|sync|writes` (or a comma-separated list; also `BENCH_ONLY`; `local` is
 * `endpoints`) runs some sections only; `--quick` shortens every section (quick.ts: the whole run within two minutes),
 * `--profile` adds the read section's CPU profile by layer. It writes what the sections printed as `bench-report.md` and
 * `bench-report.json` (report.ts) into `tools/bench/reports/` (`--quick`: `tools/bench/reports/quick/`), or the directory
 * `--report=<dir>` names.
 */
// First: `--quick` sets the sections' shorter defaults before they read them.
import { QUICK } from './quick';
import path from 'node:path';
import { BenchReport } from './report';

/** Where the report goes unless `--report=<dir>` says otherwise. */
const REPORT_DIRECTORY = path.join('tools', 'bench', 'reports');
/** Where a `--quick` run's report goes: beside the full run's, not over it. */
const QUICK_REPORT_DIRECTORY = path.join(REPORT_DIRECTORY, 'quick');

/** `--only=read,local` (or `BENCH_ONLY`), `--quick` (every section shorter), `--profile` (the read section's profile), `--report=<dir>`. */
function parseArguments(args: readonly string[]): { only?: string[]; quick: boolean; profile: boolean; report: string } {
  let only = process.env['BENCH_ONLY'];
  let profile = false;
  let report = QUICK ? QUICK_REPORT_DIRECTORY : REPORT_DIRECTORY;
  for (const arg of args) {
    if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else if (arg.startsWith('--report=')) report = arg.slice('--report='.length);
    else if (arg === '--profile') profile = true;
    else if (arg !== '--quick')
      throw new Error(`bench: unknown argument ${arg} (--only=<sections>, --quick, --profile, --report=<directory>)`);
  }
  // `local`, the section `endpoints` replaced (it measured the local backend's reads and writes), names it still.
  const sections = only?.split(',').map((name) => (name.trim() === 'local' ? 'endpoints' : name.trim()));
  return { ...(sections ? { only: sections } : {}), quick: QUICK, profile, report };
}

async function all(): Promise<void> {
  const args = process.argv.slice(2);
  const { only, quick, profile, report: reportDirectory } = parseArguments(args);
  const sections: Record<string, () => Promise<void>> = {
    // Loaded when chosen: a section runs without the others' imports (the GitHub test server, the catalog seeding).
    read: async () => (await import('./read.bench')).runReadBench({ quick, profile }),
    endpoints: async () => (await import('./endpoints.bench')).runEndpointsBench(),
    github: async () => (await import('./github.bench')).runGitHubBench(),
    gitlab: async () => (await import('./gitlab.bench')).runGitLabBench(),
    catalog: async () => (await import('./catalog.bench')).runCatalogBench(),
    events: async () => (await import('./events.bench')).runEventsBench(),
    sync: async () => (await import('./sync.bench')).runSyncBench(),
    writes: async () => (await import('./writes.bench')).runWritesBench(),
  };
  const unknown = only?.filter((name) => !(name in sections)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown section ${unknown.join(', ')} (sections: ${Object.keys(sections).join(', ')})`);
  const report = new BenchReport(args);
  for (const [name, run] of Object.entries(sections)) {
    if (!only || only.includes(name)) await report.section(name, run);
  }
  const written = await report.write(reportDirectory);
  console.log(`\nbench report: ${written.markdown} and ${written.json}`);
  // A failed section does not stop the others; the run still fails.
  if (report.failed) process.exit(1);
}

all().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
