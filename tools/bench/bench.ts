/**
 * `npm run bench`: load-tests the built API on the local git backend with autocannon, against a bare
 * Express handler serving the same descriptor from memory (the ceiling); then the GitHub adapter, the
 * catalog's listing and search on 100,000 datasets, and event delivery through Redis. Prints latency
 * (p50/p99), throughput and counts. A benchmark, not a test: nothing here asserts timings.
 * `BENCH_ONLY=local|github|catalog|events` (or a comma-separated list) runs some sections only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCatalogBench } from './catalog.bench';
import { runEventsBench } from './events.bench';
import { runGitHubBench } from './github.bench';
import {
  benchDatabase,
  call,
  CONNECTIONS,
  DURATION_SECONDS,
  freePort,
  load,
  startApi,
  startProcess,
  waitFor,
  type ApiProcess,
  type LoadRow,
} from './harness';

const descriptor = {
  $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
  name: 'city-air-quality',
  id: 'urn:uuid:4a3f8f0e-8d7c-4f55-9f0e-6c0f8d7e2b11',
  title: 'City air quality measurements',
  description: 'Hourly NO2, PM10 and PM2.5 readings from municipal sensors.',
  keywords: ['air quality', 'pollution', 'sensors'],
  licenses: [{ name: 'CC-BY-4.0', path: 'https://creativecommons.org/licenses/by/4.0/' }],
  resources: Array.from({ length: 5 }, (_, index) => ({
    name: `readings-${2020 + index}`,
    path: `data/readings-${2020 + index}.csv`,
    format: 'csv',
    mediatype: 'text/csv',
    bytes: 1_000_000 + index,
    hash: `sha256:${String(index).repeat(64)}`,
    schema: {
      fields: [
        { name: 'time', type: 'datetime' },
        { name: 'station', type: 'string' },
        { name: 'no2', type: 'number' },
      ],
    },
  })),
};

/** Creates `bench/read` with a tag `v1` on its first revision and 30 revisions after it; returns that first revision's sha. */
async function seedReadDataset(apiUrl: string): Promise<string> {
  const created = await call('POST', `${apiUrl}/api/v1/datasets`, { owner: 'bench', name: 'read', descriptor });
  await call('POST', `${apiUrl}/api/v1/datasets/bench/read/tags`, { name: 'v1', description: 'bench tag' });
  for (let index = 0; index < 30; index += 1) {
    await call('PATCH', `${apiUrl}/api/v1/datasets/bench/read`, { description: `revision ${index}` }, 'application/merge-patch+json');
  }
  return (created['revision'] as { sha: string }).sha;
}

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

const SECTIONS: Record<string, () => Promise<void>> = {
  local: runLocalBench,
  github: runGitHubBench,
  catalog: runCatalogBench,
  events: runEventsBench,
};

async function all(): Promise<void> {
  const only = process.env['BENCH_ONLY']?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !(name in SECTIONS)) ?? [];
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown section ${unknown.join(', ')} (sections: ${Object.keys(SECTIONS).join(', ')})`);
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (!only || only.includes(name)) await run();
  }
}

all().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
