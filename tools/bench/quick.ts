/**
 * `npm run bench -- --quick`: the whole run within two minutes on two cores. Imported by bench.ts before anything else, so that
 * the sections, which read their settings when loaded, see shorter defaults; a variable already set wins.
 */

/** The settings `--quick` gives every section (see DEVELOPING's bench paragraph for what each one means). */
export const QUICK_SETTINGS: Readonly<Record<string, string>> = {
  // Seconds per autocannon load of the events and writes sections (the read section has its own: one round of 1 s loads).
  BENCH_DURATION: '1',
  // The endpoints section: one local backend (the server catalog when there is one; the read section measures the embedded
  // one), GitHub and GitLab; 0.15 s per load, 5 requests per git write (one per connection), a smaller seed.
  BENCH_ENDPOINTS_BACKENDS: process.env['DATABASE_URL'] ? 'local-server,github,gitlab' : 'local,github,gitlab',
  BENCH_ENDPOINTS_DURATION: '0.15',
  BENCH_ENDPOINTS_WRITES: '5',
  BENCH_ENDPOINTS_POOL: '5',
  BENCH_ENDPOINTS_REVISIONS: '5',
  // One run of each storage operation: the requests it takes, what these sections are for, hardly vary between runs.
  BENCH_GITHUB_ITERATIONS: '1',
  BENCH_GITLAB_ITERATIONS: '1',
  BENCH_CATALOG_DATASETS: '20000',
  BENCH_CATALOG_DURATION: '0.5',
  BENCH_CATALOG_DEEP_PAGES: '200',
  BENCH_EVENTS_WRITES: '30',
  // Full runs (no watermark, and --full) at 100 datasets only: at 300 they took 18 of the section's 32 s.
  BENCH_SYNC_SIZES: '100,300',
  BENCH_SYNC_FULL_MAX: '100',
};

/** Whether this run is `--quick`. */
export const QUICK = process.argv.slice(2).includes('--quick');

if (QUICK) {
  for (const [name, value] of Object.entries(QUICK_SETTINGS)) process.env[name] ??= value;
}
