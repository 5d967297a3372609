/**
 * `npm run bench -- --quick`: the whole run in about two minutes. Imported by bench.ts before anything else, so that
 * the sections, which read their settings when loaded, see shorter defaults; a variable already set wins.
 */

/** The settings `--quick` gives every section (see DEVELOPING's bench paragraph for what each one means). */
export const QUICK_SETTINGS: Readonly<Record<string, string>> = {
  // Seconds per autocannon load of the local, catalog and events sections (the read section has its own: one round of 1 s loads).
  BENCH_DURATION: '1',
  BENCH_GITHUB_ITERATIONS: '3',
  BENCH_GITLAB_ITERATIONS: '3',
  BENCH_CATALOG_DATASETS: '20000',
  BENCH_EVENTS_WRITES: '60',
  BENCH_SYNC_SIZES: '100,500',
};

/** Whether this run is `--quick`. */
export const QUICK = process.argv.slice(2).includes('--quick');

if (QUICK) {
  for (const [name, value] of Object.entries(QUICK_SETTINGS)) process.env[name] ??= value;
}
