/**
 * Read section of `npm run bench` (`--only=read`): the authenticated read path side by side with its ceilings, in one run.
 * Per catalog backend (the embedded PGlite default, and the server of `DATABASE_URL` when set), it alternates, round after
 * round, autocannon loads on (a) the API: reads at the head, at a tag and at a sha, and a conditional read at the head
 * (If-None-Match: 304); (b) a bare Express 5 handler and (c) a bare `node:http` one, each sending from memory the bytes
 * and headers the API answered (`ceiling.mjs`). Each load has a warm-up first. It prints req/s, p50/p99 and the ratios
 * to the ceilings measured in the same round (the figure that counts on a shared machine), with their spread over rounds.
 * `--quick`: one round of 1 s loads, on the embedded default only. `--profile`: the embedded API also runs under
 * `node --cpu-prof` during a load of reads at the head, and the samples of that load are summarised by layer (profile.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AUTH_HEADERS,
  benchDatabase,
  CONNECTIONS,
  DURATION_SECONDS,
  freePort,
  load,
  seedReadDataset,
  startApi,
  startProcess,
  waitFor,
  type ApiProcess,
  type BenchProcess,
  type LoadRow,
} from './harness';
import { cpuSecondsOf, listeningPorts, segmentsBetween, segmentsSentTo } from './process-counters';
import { formatProfileSummary, profileLoad } from './profile';

/** How the read section runs. */
export interface ReadBenchOptions {
  /** One round of short loads. */
  readonly quick: boolean;
  /** Profile the embedded API during a load of reads at the head (`node --cpu-prof`), summarised by layer. */
  readonly profile: boolean;
}

/** One target of the alternation: which server, which request, and what it is compared with. */
interface Target {
  readonly key: string;
  readonly label: string;
  readonly server: 'api' | 'express' | 'http';
  readonly path: string;
  readonly notModified: boolean;
}

/** Headers a server computes per connection or per answer; the ceilings leave them to Node. */
const PER_ANSWER_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** The API's answer to `url` (with `headers`): status, body, and the headers a ceiling must repeat. */
async function answerOf(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer; headers: Record<string, string> }> {
  const response = await fetch(url, { headers: { ...AUTH_HEADERS, ...headers } });
  const kept: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!PER_ANSWER_HEADERS.has(name)) kept[name] = value;
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: kept };
}

const median = (values: readonly number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] ?? 0;
const spread = (values: readonly number[]) =>
  values.length < 2 ? '' : ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;

/** The read path on one catalog backend: its rows by target, over rounds, and the ratios of each round. */
async function benchBackend(label: string, databaseUrl: string | undefined, options: ReadBenchOptions): Promise<void> {
  const rounds = options.quick ? 1 : Number(process.env['BENCH_READ_ROUNDS'] ?? 3);
  const duration = options.quick ? 1 : DURATION_SECONDS;
  const warmUp = options.quick ? 0.5 : 1;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-read-'));
  const ceilings: BenchProcess[] = [];
  let api: ApiProcess | undefined;
  try {
    api = await startApi({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    const firstSha = await seedReadDataset(api.url);
    const head = await answerOf(`${api.url}/api/v1/datasets/bench/read`, {});
    const etag = head.headers['etag']!;
    const notModified = await answerOf(`${api.url}/api/v1/datasets/bench/read`, { 'if-none-match': etag });
    if (head.status !== 200 || notModified.status !== 304)
      throw new Error(`read bench: the API answered ${head.status} and ${notModified.status}`);
    const answerFile = path.join(dataDir, 'ceiling-answer.json');
    await writeFile(
      answerFile,
      JSON.stringify({ body: head.body.toString('base64'), headers: head.headers, notModifiedHeaders: notModified.headers, etag }),
    );
    const ports = { express: await freePort(), http: await freePort() };
    const pids: Record<Target['server'], number> = { api: api.pid, express: 0, http: 0 };
    for (const kind of ['express', 'http'] as const) {
      const ceiling = startProcess(process.execPath, ['tools/bench/ceiling.mjs', kind, String(ports[kind]), answerFile], {});
      ceilings.push(ceiling);
      pids[kind] = ceiling.pid;
      await waitFor(`http://127.0.0.1:${ports[kind]}/`);
    }
    const urls = { api: api.url, express: `http://127.0.0.1:${ports.express}`, http: `http://127.0.0.1:${ports.http}` };
    const readPath = '/api/v1/datasets/bench/read';
    // The order alternates the API with its ceilings, so that a neighbour's load falls on both alike.
    const targets: Target[] = [
      { key: 'express', label: 'ceiling: bare Express 5, same bytes and headers', server: 'express', path: readPath, notModified: false },
      { key: 'head', label: 'API: read at head', server: 'api', path: readPath, notModified: false },
      { key: 'tag', label: 'API: read at tag', server: 'api', path: `${readPath}?ref=v1`, notModified: false },
      { key: 'http', label: 'ceiling: bare node:http, same bytes and headers', server: 'http', path: readPath, notModified: false },
      { key: 'sha', label: 'API: read at sha', server: 'api', path: `${readPath}?ref=${firstSha}`, notModified: false },
      { key: 'express304', label: 'ceiling: bare Express 5, 304', server: 'express', path: readPath, notModified: true },
      { key: 'head304', label: 'API: If-None-Match at head (304)', server: 'api', path: readPath, notModified: true },
      { key: 'http304', label: 'ceiling: bare node:http, 304', server: 'http', path: readPath, notModified: true },
    ];
    // `BENCH_READ_LOADS=express,head` runs some loads only (keys: express, head, tag, http, sha, express304, head304, http304).
    const chosen = process.env['BENCH_READ_LOADS']?.split(',').map((key) => key.trim());
    if (chosen) targets.splice(0, targets.length, ...targets.filter((target) => chosen.includes(target.key)));
    const rows = new Map<string, LoadRow[]>(targets.map((target) => [target.key, []]));
    // The API's connections to its catalog: to the server's port, or to the embedded database listening in its own process.
    const apiPort = Number(new URL(api.url).port);
    const catalogPort = databaseUrl ? Number(new URL(databaseUrl).port || 5432) : listeningPorts(api.pid).find((port) => port !== apiPort);
    const catalogQueries = new Map<string, number[]>(targets.map((target) => [target.key, []]));
    const cpuPerRequest = new Map<string, number[]>(targets.map((target) => [target.key, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (const target of targets) {
        const request = {
          url: `${urls[target.server]}${target.path}`,
          headers: target.notModified ? { 'if-none-match': etag } : {},
        };
        const expected = target.notModified ? 304 : '2xx';
        await load(`${target.label} (warm-up)`, { ...request, duration: warmUp }, expected);
        const sentBefore = target.server === 'api' && catalogPort !== undefined ? segmentsSentTo(api.pid, catalogPort) : undefined;
        const cpuBefore = cpuSecondsOf(pids[target.server]);
        const row = await load(target.label, { ...request, duration }, expected);
        const cpuAfter = cpuSecondsOf(pids[target.server]);
        rows.get(target.key)!.push(row);
        if (cpuBefore !== undefined && cpuAfter !== undefined && row.requests > 0) {
          cpuPerRequest.get(target.key)!.push(((cpuAfter - cpuBefore) * 1e6) / row.requests);
        }
        const sentAfter = sentBefore === undefined ? undefined : segmentsSentTo(api.pid, catalogPort!);
        if (sentBefore !== undefined && sentAfter !== undefined && row.requests > 0) {
          catalogQueries.get(target.key)!.push((segmentsBetween(sentBefore, sentAfter) * 100) / row.requests);
        }
      }
    }

    const ratios = (key: string, ceiling: string) =>
      rows.get(key)!.map((row, round) => row.throughput / (rows.get(ceiling)?.[round]?.throughput ?? NaN));
    console.log(`\n### Read path, ${label}\n`);
    console.log(
      `${rounds} round(s), ${CONNECTIONS} connections x ${duration} s per load after ${warmUp} s of warm-up; medians over rounds,`,
    );
    console.log('ratios per round to the ceiling loaded in the same round (min–max over rounds in brackets). Catalog queries: TCP data');
    console.log('segments the API sent to its catalog database per 100 requests (`ss -ti`; one per query with the pg driver).');
    console.log('CPU µs per request: user and system time of the serving process (all its threads) over the requests it answered;');
    console.log('Express CPU / API CPU is the ratio the API would reach with the CPU to itself, less noisy than req/s here.\n');
    console.log(
      '| load | req/s | p50 ms | p99 ms | errors | / Express | / node:http | CPU µs per request | Express CPU / this | catalog queries per 100 |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const target of targets) {
      const measured = rows.get(target.key)!;
      const [express, http] = target.notModified ? ['express304', 'http304'] : ['express', 'http'];
      const toExpress = ratios(target.key, express);
      const toHttp = ratios(target.key, http);
      const queries = catalogQueries.get(target.key)!;
      const cpu = cpuPerRequest.get(target.key)!;
      const cpuRatios = cpu.map((micros, round) => (cpuPerRequest.get(express)?.[round] ?? NaN) / micros);
      const cells = [
        target.label,
        median(measured.map((row) => row.throughput)).toFixed(0),
        median(measured.map((row) => row.p50)),
        median(measured.map((row) => row.p99)),
        measured.reduce((sum, row) => sum + row.errors, 0),
        `${median(toExpress).toFixed(2)}${spread(toExpress)}`,
        `${median(toHttp).toFixed(2)}${spread(toHttp)}`,
        cpu.length > 0 ? median(cpu).toFixed(0) : '',
        cpu.length > 0 ? `${median(cpuRatios).toFixed(2)}${spread(cpuRatios)}` : '',
        queries.length > 0 ? median(queries).toFixed(1) : '',
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
  } finally {
    await api?.stop();
    for (const ceiling of ceilings) await ceiling.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The embedded API under `node --cpu-prof` while it serves reads at the head; prints where the samples of that load went. */
async function profileReads(options: ReadBenchOptions): Promise<void> {
  const duration = options.quick ? 4 : 8;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-profile-'));
  try {
    const {
      result: row,
      file,
      summary,
    } = await profileLoad(
      'read bench',
      (nodeArgs) => startApi({ dataDir, nodeArgs }),
      async (api) => {
        await seedReadDataset(api.url);
        const url = `${api.url}/api/v1/datasets/bench/read`;
        await load('warm-up', { url, duration: 1 });
        return url;
      },
      (_api, url) => load('read at head, profiled', { url, duration }),
    );
    console.log(
      formatProfileSummary(
        `\n### CPU profile of reads at head, embedded catalog (${row.throughput.toFixed(0)} req/s while profiled; ${file})`,
        summary,
      ),
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The read section: each backend side by side with its ceilings, then (with `--profile`) the profile. */
export async function runReadBench(options: ReadBenchOptions): Promise<void> {
  console.log(`\n## Read path: API against bare Express 5 and node:http (node ${process.version}, ${os.cpus().length} cores)`);
  await benchBackend('embedded catalog (PGlite under the data directory)', undefined, options);
  if (options.quick) {
    // Reads answered from memory never reach the catalog: the server catalog's figures are the full run's.
    console.log('\n(`--quick` measures the embedded default only; a full run adds the PostgreSQL server of DATABASE_URL)');
  } else if (process.env['DATABASE_URL']) {
    const database = await benchDatabase();
    try {
      await benchBackend(`catalog on ${database.label}`, database.url, options);
    } finally {
      await database.drop();
    }
  } else {
    console.log('\n(set DATABASE_URL to measure the read path with a PostgreSQL server catalog too)');
  }
  if (options.profile) await profileReads(options);
}
