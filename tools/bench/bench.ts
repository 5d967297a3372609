/**
 * `npm run bench`: load-tests the built API on the local git backend with autocannon, against a bare
 * Express handler serving the same descriptor from memory (the ceiling). Prints latency (p50/p99),
 * throughput and counts. A benchmark, not a test: nothing here asserts timings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { runGitHubBench } from './github.bench';

const DURATION_SECONDS = Number(process.env['BENCH_DURATION'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);

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
    schema: { fields: [{ name: 'time', type: 'datetime' }, { name: 'station', type: 'string' }, { name: 'no2', type: 'number' }] },
  })),
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function call(method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method, headers: { 'content-type': contentType }, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

interface Row {
  operation: string;
  requests: number;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(operation: string, options: autocannon.Options): Promise<Row> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_SECONDS, ...options });
  return {
    operation,
    requests: result.requests.total,
    throughput: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-'));
  const apiPort = await freePort();
  const ceilingPort = await freePort();
  const api = start(process.execPath, ['dist/metadata-api/main.js'], {
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    METASTORE_DATA_DIR: dataDir,
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
  });
  // The ceiling: the same Express version answering the same JSON from memory, nothing else.
  const ceiling = start(
    process.execPath,
    [
      '-e',
      `const express = require('express'); const app = express(); const body = ${JSON.stringify(JSON.stringify(descriptor))};
       const parsed = JSON.parse(body); app.get('/', (req, res) => res.json(parsed)); app.listen(${ceilingPort}, '127.0.0.1');`,
    ],
    {},
  );
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  try {
    await waitFor(`${apiUrl}/readyz`);
    await waitFor(`http://127.0.0.1:${ceilingPort}/`);

    await call('POST', `${apiUrl}/api/v1/datasets`, { owner: 'bench', name: 'read', descriptor });
    await call('POST', `${apiUrl}/api/v1/datasets/bench/read/tags`, { name: 'v1', description: 'bench tag' });
    for (let index = 0; index < 30; index += 1) {
      await call('PATCH', `${apiUrl}/api/v1/datasets/bench/read`, { description: `revision ${index}` }, 'application/merge-patch+json');
    }
    const updateTargets = 20;
    for (let index = 0; index < updateTargets; index += 1) {
      await call('POST', `${apiUrl}/api/v1/datasets`, { owner: 'bench', name: `update-${index}`, descriptor });
    }

    const rows: Row[] = [];
    let created = 0;
    rows.push(
      await load('create', {
        url: `${apiUrl}/api/v1/datasets`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => ({ ...request, body: JSON.stringify({ owner: 'bench-create', name: `set-${(created += 1)}`, descriptor }) }),
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
              return { ...request, path: `/api/v1/datasets/bench/update-${updated % updateTargets}`, body: JSON.stringify({ description: `update ${updated}` }) };
            },
          },
        ],
      }),
    );
    const head = await load('read at head', { url: `${apiUrl}/api/v1/datasets/bench/read` });
    rows.push(head);
    rows.push(await load('read at tag', { url: `${apiUrl}/api/v1/datasets/bench/read?ref=v1` }));
    rows.push(await load('list revisions (20 per page)', { url: `${apiUrl}/api/v1/datasets/bench/read/revisions?limit=20` }));
    const bare = await load('ceiling: bare Express, same JSON from memory', { url: `http://127.0.0.1:${ceilingPort}/` });
    rows.push(bare);

    console.log(`\nMetastore bench: local git backend, ${CONNECTIONS} connections, ${DURATION_SECONDS}s per operation, node ${process.version}, ${os.cpus().length} cores\n`);
    console.log('| operation | requests | req/s | p50 ms | p99 ms | errors |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      console.log(`| ${row.operation} | ${row.requests} | ${row.throughput.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.errors} |`);
    }
    console.log(`\nread-at-head throughput / ceiling = ${(head.throughput / bare.throughput).toFixed(2)}`);
    console.log(`datasets created during the run: ${created}; updates sent: ${updated}`);
  } finally {
    api.kill('SIGTERM');
    ceiling.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function all(): Promise<void> {
  if (process.env['BENCH_ONLY'] !== 'github') await main();
  if (process.env['BENCH_ONLY'] !== 'local') await runGitHubBench();
}

all().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
