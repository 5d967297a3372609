/**
 * What the bench sections share: their settings, the API as a child process on a catalog database of
 * its own, HTTP calls, autocannon runs and percentiles.
 */
import jwt from 'jsonwebtoken';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { databaseForTests } from '@metastore/catalog-postgres/testing';

/** Seconds each autocannon run (and each timed loop) lasts: `BENCH_DURATION`, default 5. */
export const DURATION_SECONDS = Number(process.env['BENCH_DURATION'] ?? 5);
/** Concurrent connections (or writers) of each load: `BENCH_CONNECTIONS`, default 10. */
export const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `url` until it answers 2xx; gives up after `timeoutMs` (the embedded catalog's migrations take seconds). */
export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A child process of the bench, and how to end it (SIGTERM, then waits for it to exit). */
export interface BenchProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Runs `command` with the bench's environment plus `env`, minus the names in `unset`; its stdout is dropped. */
export function startProcess(command: string, args: string[], env: Record<string, string>, unset: readonly string[] = []): BenchProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of unset) delete childEnv[name];
  const child = spawn(command, args, { env: childEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(child, 'exit');
  return {
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The API (`dist/metadata-api/main.js`) running as a child process. */
export interface ApiProcess extends BenchProcess {
  readonly url: string;
}

/** Where the API keeps its data, and which catalog and stream it uses. */
export interface ApiOptions {
  readonly dataDir: string;
  /** A PostgreSQL database; without one the API opens its embedded PGlite under `<dataDir>/catalog`. */
  readonly databaseUrl?: string;
  /** Redis and the stream to publish events to; without them events stay in the outbox. */
  readonly redis?: { readonly url: string; readonly stream: string };
  /** Flags for node before the script, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** More variables for the API, e.g. `STORAGE` and a git host's settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts the built API and waits until it is ready. Only what `options` says reaches it: the bench's own
 * DATABASE_URL, REDIS_URL and METASTORE_EVENTS_STREAM are not passed on.
 */
export async function startApi(options: ApiOptions): Promise<ApiProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    METASTORE_DATA_DIR: options.dataDir,
    METASTORE_JWT_SECRET: BENCH_JWT_SECRET,
    // The bench measures throughput, not the per-caller write limit.
    METASTORE_WRITE_RATE_LIMIT: '0',
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.redis ? { REDIS_URL: options.redis.url, METASTORE_EVENTS_STREAM: options.redis.stream } : {}),
    ...options.env,
  };
  const unset = ['DATABASE_URL', 'REDIS_URL', 'METASTORE_EVENTS_STREAM'].filter((name) => !(name in env));
  const api = startProcess(process.execPath, [...(options.nodeArgs ?? []), 'dist/metadata-api/main.js'], env, unset);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/readyz`);
  } catch (error) {
    await api.stop();
    throw error;
  }
  return { url, pid: api.pid, stop: api.stop };
}

/** The catalog database of one section: a fresh one on the server of `DATABASE_URL`, or none (the API's embedded one). */
export interface BenchDatabase {
  /** Absent for the embedded database, which the API opens itself. */
  readonly url?: string;
  /** What it is, for the printed header (no credentials). */
  readonly label: string;
  drop(): Promise<void>;
}

/** A fresh migrated database on the server of `DATABASE_URL` (dropped by `drop()`), or the embedded default without it. */
export async function benchDatabase(): Promise<BenchDatabase> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    return {
      label: 'embedded PGlite under the data directory, one connection (set DATABASE_URL for a server)',
      drop: async () => undefined,
    };
  }
  const database = await databaseForTests({ serverUrl });
  const parsed = new URL(database.url);
  return {
    url: database.url,
    label: `PostgreSQL server ${parsed.host}, fresh database ${parsed.pathname.slice(1)}`,
    drop: () => database.drop(),
  };
}

/**
 * The secret the bench's API processes verify tokens with, and an instance-wide admin's token signed with it (with an id,
 * as minted tokens have, so that each request checks it against the revocation list).
 */
const BENCH_JWT_SECRET = 'metastore-bench-secret-0123456789abcdef';
/** A token the bench's API processes accept: an instance-wide admin's, with the id `jwtid`. */
export function benchToken(jwtid: string): string {
  return jwt.sign({ sub: 'bench', name: 'Bench', email: 'bench@example.com', roles: { '*': 'admin' } }, BENCH_JWT_SECRET, {
    algorithm: 'HS256',
    issuer: 'metastore',
    audience: 'metastore',
    expiresIn: '12h',
    jwtid,
  });
}
/** Headers every bench request carries: the API authenticates every call. */
export const AUTH_HEADERS = { authorization: `Bearer ${benchToken('bench-token')}` };

/** Sends a JSON request and returns the parsed answer; throws on a non-2xx status. */
export async function call(
  method: string,
  url: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': contentType, ...AUTH_HEADERS },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** One autocannon run, summarised. */
export interface LoadRow {
  readonly operation: string;
  readonly requests: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /** How many answers had each status (`{ '200': 1234 }`). */
  readonly statuses: Readonly<Record<string, number>>;
}

/**
 * Drives one operation with autocannon for `DURATION_SECONDS` on `CONNECTIONS` connections (unless `options` says otherwise).
 * Answers with another status than `expected` (any 2xx; exactly 304; `success`: any 2xx or 3xx) count as errors.
 */
export async function load(operation: string, options: autocannon.Options, expected: '2xx' | 304 | 'success' = '2xx'): Promise<LoadRow> {
  // autocannon stops at its first sample tick after the duration (or after the last of `amount` requests): ticks that divide
  // the duration evenly make a load last what it says (a 0.3 s load took 1 s with the default 1 s tick).
  const duration = Number(options.duration ?? DURATION_SECONDS);
  // A load of `amount` requests ends at the first tick after its last answer: 10 ms ticks add at most that to its time.
  const sampleInt = options.amount !== undefined ? 10 : (duration * 1000) / Math.max(1, Math.ceil(duration));
  const result = await autocannon({
    connections: CONNECTIONS,
    duration,
    sampleInt,
    ...options,
    headers: { ...AUTH_HEADERS, ...options.headers },
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0]));
  const answered = (test: (status: number) => boolean) =>
    Object.entries(statuses).reduce((sum, [status, count]) => sum + (test(Number(status)) ? count : 0), 0);
  const unexpected =
    expected === '2xx'
      ? result.non2xx
      : expected === 304
        ? result.requests.total - (statuses['304'] ?? 0)
        : answered((status) => status >= 400 || status < 200);
  return {
    operation,
    requests: result.requests.total,
    // Over the load's elapsed time: autocannon's average is over whole-second samples, the total for a load under a second.
    throughput: result.duration > 0 ? result.requests.total / result.duration : result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    // autocannon counts a timeout among its errors too.
    errors: result.errors + Math.max(0, unexpected),
    statuses,
  };
}

/** The Data Package the read benchmarks serve: five resources with schemas, about 2 KB. */
export const descriptor = {
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
export async function seedReadDataset(apiUrl: string): Promise<string> {
  const created = await call('POST', `${apiUrl}/api/v1/datasets`, { owner: 'bench', name: 'read', descriptor });
  await call('POST', `${apiUrl}/api/v1/datasets/bench/read/tags`, { name: 'v1', description: 'bench tag' });
  for (let index = 0; index < 30; index += 1) {
    await call('PATCH', `${apiUrl}/api/v1/datasets/bench/read`, { description: `revision ${index}` }, 'application/merge-patch+json');
  }
  return (created['revision'] as { sha: string }).sha;
}

/** The value below which `fraction` of `values` lie (nearest rank); 0 for none. */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}
