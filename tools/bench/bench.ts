/**
 * `npm run bench`: load-tests the built API on the local git backend with autocannon, against a bare
 * Express handler serving the same descriptor from memory (the ceiling); then the GitHub adapter, the
 * catalog's listing and search on 100,000 datasets, and event delivery through Redis. Prints latency
 * (p50/p99), throughput and counts. A benchmark, not a test: nothing here asserts timings.
 * First the read path side by side with bare Express and node:http (read.bench.ts).
 * `--only=read|local|github|gitlab|catalog|events|sync|writes` (or a comma-separated list; also `BENCH_ONLY`) runs some sections
 * only; `--quick` shortens every section (quick.ts: about two minutes in all), `--profile` adds the read section's CPU
 * profile by layer. It writes what the sections printed as `bench-report.md` and `bench-report.json` (report.ts) into
 * `tools/bench/reports/`, or the directory `--report=<dir>` names.
 */
// First: `--quick` sets the sections' shorter defaults before they read them.
import { QUICK } from './quick';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  benchDatabase,
  call,
  CONNECTIONS,
  descriptor,
  DURATION_SECONDS,
  freePort,
  load,
  seedReadDataset,
  startApi,
  startProcess,
  waitFor,
  type ApiProcess,
  type LoadRow,
} from './harness';
import { BenchReport } from './report';

/** Read at the tag and at the sha on an API over the embedded catalog, to compare with the server database's figures. */
async function embeddedReads(): Promise<[LoadRow, LoadRow]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-embedded-'));
  let api: ApiProcess | undefined;
  try {
    api = await startApi({ dataDir });
    const sha = await seedReadDataset(api.url);
    return [
      await load('read at tag, embedded catalog', { url: `${api.url}/api/v1/datasets/bench/read?ref=v1` }),
      await load('read at sha, embedded catalog', { url: `${api.url}/api/v1/datasets/bench/read?ref=${sha}` }),
    ];
  } finally {
    await api?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function printRows(rows: readonly LoadRow[]): void {
  console.log('| operation | requests | req/s | p50 ms | p99 ms | errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.operation} | ${row.requests} | ${row.throughput.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.errors} |`);
  }
}

async function runLocalBench(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-'));
  const database = await benchDatabase();
  const ceilingPort = await freePort();
  let api: ApiProcess | undefined;
  // The ceiling: the same Express version answering the same JSON from memory, nothing else.
  const ceiling = startProcess(
    process.execPath,
    [
      '-e',
      `const express = require('express'); const app = express(); const body = ${JSON.stringify(JSON.stringify(descriptor))};
     const parsed = JSON.parse(body); app.get('/', (req, res) => res.json(parsed)); app.listen(${ceilingPort}, '127.0.0.1');`,
    ],
    {},
  );
  try {
    api = await startApi({ dataDir, ...(database.url ? { databaseUrl: database.url } : {}) });
    const apiUrl = api.url;
    await waitFor(`http://127.0.0.1:${ceilingPort}/`);

    const firstSha = await seedReadDataset(apiUrl);
    const updateTargets = 20;
    for (let index = 0; index < updateTargets; index += 1) {
      await call('POST', `${apiUrl}/api/v1/datasets`, { owner: 'bench', name: `update-${index}`, descriptor });
    }

    const rows: LoadRow[] = [];
    let created = 0;
    rows.push(
      await load('create', {
        url: `${apiUrl}/api/v1/datasets`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ owner: 'bench-create', name: `set-${(created += 1)}`, descriptor }),
            }),
          },
        ],
      }),
    );
    let updated = 0;
    rows.push(
      await load(`update (PATCH, round-robin over ${updateTargets} datasets)`, {
        url: apiUrl,
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        requests: [
          {
            setupRequest: (request) => {
              updated += 1;
              return {
                ...request,
                path: `/api/v1/datasets/bench/update-${updated % updateTargets}`,
                body: JSON.stringify({ description: `update ${updated}` }),
              };
            },
          },
        ],
      }),
    );
    const head = await load('read at head', { url: `${apiUrl}/api/v1/datasets/bench/read` });
    rows.push(head);
    const atTag = await load('read at tag', { url: `${apiUrl}/api/v1/datasets/bench/read?ref=v1` });
    const atSha = await load('read at sha', { url: `${apiUrl}/api/v1/datasets/bench/read?ref=${firstSha}` });
    rows.push(atTag, atSha);
    rows.push(await load('list revisions (20 per page)', { url: `${apiUrl}/api/v1/datasets/bench/read/revisions?limit=20` }));
    const bare = await load('ceiling: bare Express, same JSON from memory', { url: `http://127.0.0.1:${ceilingPort}/` });
    rows.push(bare);
    await api.stop();
    api = undefined;
    const embedded = database.url ? await embeddedReads() : undefined;
    if (embedded) rows.push(...embedded);

    console.log(
      `\nMetastore bench: local git backend, ${CONNECTIONS} connections, ${DURATION_SECONDS}s per operation, node ${process.version}, ${os.cpus().length} cores`,
    );
    console.log(`catalog: ${database.label}\n`);
    printRows(rows);
    console.log(`\nread-at-head throughput / ceiling = ${(head.throughput / bare.throughput).toFixed(2)}`);
    if (embedded) {
      const [embeddedTag, embeddedSha] = embedded;
      console.log(
        `read at tag, embedded / server catalog: throughput ${(embeddedTag.throughput / atTag.throughput).toFixed(2)}, p50 ${embeddedTag.p50} vs ${atTag.p50} ms`,
      );
      console.log(
        `read at sha, embedded / server catalog: throughput ${(embeddedSha.throughput / atSha.throughput).toFixed(2)}, p50 ${embeddedSha.p50} vs ${atSha.p50} ms`,
      );
    } else {
      console.log('(set DATABASE_URL to run on a PostgreSQL server and compare reads at a tag or sha with the embedded catalog)');
    }
    console.log(`datasets created during the run: ${created}; updates sent: ${updated}`);
  } finally {
    await api?.stop();
    await ceiling.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Where the report goes unless `--report=<dir>` says otherwise. */
const REPORT_DIRECTORY = path.join('tools', 'bench', 'reports');

/** `--only=read,local` (or `BENCH_ONLY`), `--quick` (every section shorter), `--profile` (the read section's profile), `--report=<dir>`. */
function parseArguments(args: readonly string[]): { only?: string[]; quick: boolean; profile: boolean; report: string } {
  let only = process.env['BENCH_ONLY'];
  let profile = false;
  let report = REPORT_DIRECTORY;
  for (const arg of args) {
    if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else if (arg.startsWith('--report=')) report = arg.slice('--report='.length);
    else if (arg === '--profile') profile = true;
    else if (arg !== '--quick')
      throw new Error(`bench: unknown argument ${arg} (--only=<sections>, --quick, --profile, --report=<directory>)`);
  }
  return { ...(only ? { only: only.split(',').map((name) => name.trim()) } : {}), quick: QUICK, profile, report };
}

async function all(): Promise<void> {
  const args = process.argv.slice(2);
  const { only, quick, profile, report: reportDirectory } = parseArguments(args);
  const sections: Record<string, () => Promise<void>> = {
    // Loaded when chosen: a section runs without the others' imports (the GitHub test server, the catalog seeding).
    read: async () => (await import('./read.bench')).runReadBench({ quick, profile }),
    local: runLocalBench,
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
