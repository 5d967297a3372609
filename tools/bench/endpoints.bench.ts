/**
 * Endpoints section of `npm run bench` (`--only=endpoints`): every operation the API declares (API_OPERATIONS, so an
 * endpoint added later is measured or listed as not measured, with the reason) loaded with autocannon for a short time
 * (`BENCH_ENDPOINTS_DURATION` seconds each, default 2; `--quick`: 0.15), on each backend (`BENCH_ENDPOINTS_BACKENDS`):
 * - `local`: the local git backend on the embedded catalog (PGlite under the data directory);
 * - `local-server`: the same on a fresh database of the PostgreSQL server of `DATABASE_URL` (skipped without it);
 * - `github` and `gitlab`: `STORAGE=github|gitlab` against the standalone GitHub or GitLab API test server in a process of its
 *   own (+0 ms per request), on the catalog of `DATABASE_URL` when set, else the embedded one.
 * (`--quick`: the local backend once, on the server when there is one.) The backends are set up side by side (test server,
 * catalog database, the built API `dist/metadata-api/main.js`, seeded with what the loads need), then measured one after
 * the other while the others idle. Writes that cannot
 * repeat get fresh names per request (create, tag create; delete and tag delete then remove exactly what those created).
 * Per backend it prints req/s, p50/p99, errors (answers neither 2xx nor 3xx, and failed requests) and the statuses seen per
 * operation; read-at-head req/s over a bare Express and a bare node:http ceiling serving the same bytes and headers
 * (`ceiling.mjs`), loaded just before and after it; and the API process's memory under load (VmRSS sampled every 50 ms
 * from /proc during the loads: peak and at the end; VmHWM).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { API_OPERATIONS } from '../../bases/metadata-api/src/routes/operations';
import {
  AUTH_HEADERS,
  benchDatabase,
  benchToken,
  call,
  CONNECTIONS,
  descriptor,
  freePort,
  load,
  startApi,
  startProcess,
  waitFor,
  type ApiProcess,
  type BenchDatabase,
  type BenchProcess,
  type LoadRow,
} from './harness';
import { cpuSecondsOf } from './process-counters';

/** Seconds each operation is loaded. */
const DURATION = Number(process.env['BENCH_ENDPOINTS_DURATION'] ?? 2);
/** The backends measured, in order. */
const BACKENDS = (process.env['BENCH_ENDPOINTS_BACKENDS'] ?? 'local,local-server,github,gitlab').split(',').map((name) => name.trim());
/**
 * Requests per load of a git write (create, replace, patch, revert, tag create and update), sent on CONNECTIONS connections
 * and all awaited: `BENCH_ENDPOINTS_WRITES` (`--quick`: 5, one per connection); unset, writes are loaded for DURATION like
 * the rest (a load shorter than a write would measure none: autocannon drops what is in flight when the time is up).
 */
const WRITES = process.env['BENCH_ENDPOINTS_WRITES'] ? Number(process.env['BENCH_ENDPOINTS_WRITES']) : undefined;
/** Seconds of each of the three loads the ratios come from (read at head, the two ceilings): at least half a second. */
const RATIO_DURATION = Math.max(DURATION, 0.5);
/** Datasets the repeatable writes (PUT, PATCH, revert) go round-robin over: fewer concurrent writes to one dataset. */
const POOL = Number(process.env['BENCH_ENDPOINTS_POOL'] ?? 20);
/** Revisions of `bench/read` after its first (tagged `v1`): what the revision list and the diff go over. */
const REVISIONS = Number(process.env['BENCH_ENDPOINTS_REVISIONS'] ?? 30);
const WEBHOOK_SECRET = 'metastore-bench-webhook-secret-0123456789';
/** GitLab's root group (owners are its subgroups); the GitHub adapter's default topic. */
const GITLAB_ROOT = 'metastore';
const GITHUB_TOPIC = 'metastore-dataset';
const API = '/api/v1';
const READ = `${API}/datasets/bench/read`;

/** A git host's test server, started as the standalone command an operator would run, in a process of its own. */
async function startHostServer(kind: 'github' | 'gitlab', dataDir: string): Promise<{ url: string; process: BenchProcess }> {
  const port = await freePort();
  const entry = `components/storage-${kind}/src/testing/main.ts`;
  const args = ['--import', 'tsx', entry, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
  const server = startProcess(process.execPath, [...args, '--rate-limit', '100000000'], {});
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fetch(`${url}/`);
      return { url, process: server };
    } catch {
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`the ${kind} test server did not come up on ${url}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** One backend as measured: its title, the API's variables, and what to stop after. */
interface Backend {
  readonly title: string;
  readonly env: Record<string, string>;
  readonly database: BenchDatabase;
  stop(): Promise<void>;
}

/** Starts what a backend needs besides the API (a test server, a database); undefined when it cannot run here (with why). */
async function prepareBackend(name: string, dataDir: string): Promise<Backend | string> {
  const webhooks = { METASTORE_WEBHOOK_GITHUB_SECRET: WEBHOOK_SECRET, METASTORE_WEBHOOK_GITLAB_SECRET: WEBHOOK_SECRET };
  if (name === 'local') {
    const database: BenchDatabase = { label: 'embedded PGlite under the data directory, one connection', drop: async () => undefined };
    return { title: 'local git, embedded catalog', env: webhooks, database, stop: async () => undefined };
  }
  if (name === 'local-server') {
    if (!process.env['DATABASE_URL']) return 'set DATABASE_URL to measure the local backend on a PostgreSQL server catalog';
    const database = await benchDatabase();
    return { title: 'local git, catalog on a PostgreSQL server', env: webhooks, database, stop: async () => undefined };
  }
  if (name !== 'github' && name !== 'gitlab')
    throw new Error(`BENCH_ENDPOINTS_BACKENDS: unknown backend '${name}' (local, local-server, github, gitlab)`);
  const host = await startHostServer(name, path.join(dataDir, `${name}-server`));
  try {
    const database = await benchDatabase();
    if (name === 'github') {
      const env = { ...webhooks, STORAGE: 'github', GITHUB_API_URL: host.url, GITHUB_TOKEN: 'bench', GITHUB_WRITE_INTERVAL_MS: '0' };
      return { title: 'GitHub (standalone GitHub API test server, +0 ms)', env, database, stop: host.process.stop };
    }
    // The root group an operator makes once before setting GITLAB_ROOT_GROUP; owners become its subgroups on first use.
    const group = await fetch(`${host.url}/api/v4/groups`, {
      method: 'POST',
      headers: { 'private-token': 'bench', 'content-type': 'application/json' },
      body: JSON.stringify({ name: GITLAB_ROOT, path: GITLAB_ROOT }),
    });
    if (group.status !== 201) throw new Error(`GitLab test server: creating the root group answered ${group.status}`);
    const env = { ...webhooks, STORAGE: 'gitlab', GITLAB_URL: host.url, GITLAB_TOKEN: 'bench', GITLAB_ROOT_GROUP: GITLAB_ROOT };
    return { title: 'GitLab (standalone GitLab API test server, +0 ms)', env, database, stop: host.process.stop };
  } catch (error) {
    await host.process.stop();
    throw error;
  }
}

/** The resident memory of a process, from /proc/<pid>/status: VmRSS and VmHWM (its peak so far), in MiB; undefined if unreadable. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Samples a process's VmRSS every 50 ms while it runs: the peak seen. */
function sampleMemory(pid: number): { peak(): number; stop(): void } {
  let peak = memoryOf(pid)?.rss ?? NaN;
  const timer = setInterval(() => {
    const rss = memoryOf(pid)?.rss;
    if (rss !== undefined && !(rss <= peak)) peak = rss;
  }, 50);
  timer.unref();
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

/** What the seeding left for the loads. */
interface Seeded {
  /** The first revision of `bench/read` (tagged `v1`). */
  readonly firstSha: string;
  /** Per pool dataset `bench/pool-<i>`, its two revisions (revert alternates between them). */
  readonly pool: readonly { readonly first: string; readonly second: string }[];
}

async function seed(apiUrl: string): Promise<Seeded> {
  const created = await call('POST', `${apiUrl}${API}/datasets`, { owner: 'bench', name: 'read', descriptor });
  await call('POST', `${apiUrl}${READ}/tags`, { name: 'v1', description: 'bench tag' });
  for (let index = 0; index < REVISIONS; index += 1) {
    await call('PATCH', `${apiUrl}${READ}`, { description: `revision ${index}` }, 'application/merge-patch+json');
  }
  const firstSha = (created['revision'] as { sha: string }).sha;
  const pool = await Promise.all(
    Array.from({ length: POOL }, async (_, index) => {
      const dataset = `${apiUrl}${API}/datasets/bench/pool-${index}`;
      const first = await call('POST', `${apiUrl}${API}/datasets`, { owner: 'bench', name: `pool-${index}`, descriptor });
      const second = await call('PATCH', dataset, { title: 'second' }, 'application/merge-patch+json');
      return { first: (first['revision'] as { sha: string }).sha, second: (second['revision'] as { sha: string }).sha };
    }),
  );
  return { firstSha, pool };
}

/** A load's autocannon options, with the path the plan asks for instead of a URL (the API's is added). */
type LoadOptions = Omit<autocannon.Options, 'url'> & { readonly path?: string };

/** How one operation is loaded: a label and the request (`write`: a git write, see WRITES); or why it is not. */
type Plan = { readonly label: string; readonly options: LoadOptions; readonly write?: true } | { readonly notMeasured: string };

/** One autocannon request whose setup gives each request a fresh body (and headers, path). */
const fresh = (setup: (n: number) => Partial<autocannon.Request>): autocannon.Options['requests'] => {
  let count = 0;
  return [{ setupRequest: (request) => ({ ...request, ...setup((count += 1)) }) }];
};

const json = { 'content-type': 'application/json' };

/**
 * Loads that create what a later load removes: the names each create answered 201 for (the setup stores a request's name in
 * the connection's context, which autocannon hands to its response).
 */
interface Created {
  readonly datasets: string[];
  readonly tags: string[];
}

function recording(list: string[], setup: (n: number) => { name: string; request: Partial<autocannon.Request> }) {
  let count = 0;
  return [
    {
      setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => {
        const { name, request: changes } = setup((count += 1));
        context['name'] = name;
        return { ...request, ...changes };
      },
      onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
        if (status === 201 && typeof context['name'] === 'string') list.push(context['name']);
      },
    },
  ] as autocannon.Options['requests'];
}

/** Removes what `list` holds, one request each (autocannon asks `setupRequest` once per request of an `amount` load). */
function removing(list: string[], pathOf: (name: string) => string): Plan | undefined {
  if (list.length === 0) return undefined;
  const connections = Math.min(CONNECTIONS, list.length);
  const amount = list.length;
  let taken = 0;
  return {
    label: `all ${amount} created`,
    options: {
      connections,
      amount,
      method: 'DELETE',
      requests: [{ setupRequest: (request) => ({ ...request, path: pathOf(list[taken++ % list.length]!) }) }],
    },
  };
}

/** A signed GitHub push delivery for `bench/read` (fresh delivery id and body each time, as GitHub sends). */
function gitHubPush(n: number): Partial<autocannon.Request> {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: randomUUID().replaceAll('-', '').padEnd(40, '0'),
    repository: { full_name: 'bench/read', name: 'read', owner: { login: 'bench' }, topics: [GITHUB_TOPIC] },
    sequence: n,
  });
  return {
    method: 'POST',
    body,
    headers: {
      ...json,
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
    },
  };
}

/** A GitLab push delivery for the project of `bench/read`. */
function gitLabPush(n: number): Partial<autocannon.Request> {
  const body = JSON.stringify({
    object_kind: 'push',
    ref: 'refs/heads/main',
    after: randomUUID().replaceAll('-', '').padEnd(40, '0'),
    project: { path_with_namespace: `${GITLAB_ROOT}/bench/read` },
    sequence: n,
  });
  return { method: 'POST', body, headers: { ...json, 'x-gitlab-token': WEBHOOK_SECRET, 'idempotency-key': randomUUID() } };
}

/** The load of each operation id, given what was seeded and what earlier loads created. */
function planOf(operationId: string, seeded: Seeded, created: Created): Plan {
  const roundRobin = (n: number) => n % seeded.pool.length;
  switch (operationId) {
    case 'health':
      return { label: 'liveness', options: { path: '/healthz' } };
    case 'readiness':
      return { label: 'readiness (storage and catalog checked)', options: { path: '/readyz' } };
    case 'metrics':
      return { label: 'Prometheus metrics', options: { path: '/metrics' } };
    case 'mintScopedToken':
      return {
        label: 'read token for one dataset',
        options: {
          path: `${API}/tokens`,
          method: 'POST',
          headers: json,
          body: JSON.stringify({ owner: 'bench', name: 'read', actions: ['read'], actor: 'bench-ci' }),
        },
      };
    case 'revokeToken':
      return {
        label: 'a fresh token each time',
        options: {
          path: `${API}/tokens/revoke`,
          method: 'POST',
          headers: json,
          requests: fresh(() => ({ body: JSON.stringify({ token: benchToken(`revoked-${randomUUID()}`) }) })),
        },
      };
    case 'listEvents':
      return { label: 'first 100', options: { path: `${API}/events?limit=100` } };
    case 'listDatasets':
      return { label: 'owner bench, 20 per page', options: { path: `${API}/datasets?owner=bench&limit=20` } };
    case 'validateDescriptor':
      return {
        label: 'the 2 KB descriptor',
        options: { path: `${API}/validate`, method: 'POST', headers: json, body: JSON.stringify(descriptor) },
      };
    case 'createDataset':
      return {
        label: 'fresh names',
        write: true,
        options: {
          path: `${API}/datasets`,
          method: 'POST',
          headers: json,
          requests: recording(created.datasets, (n) => {
            const name = `created-${n}`;
            return { name, request: { body: JSON.stringify({ owner: 'bench-created', name, descriptor }) } };
          }),
        },
      };
    case 'readDataset':
      return { label: 'at head', options: { path: READ } };
    case 'replaceDataset':
      return {
        label: `round-robin over ${seeded.pool.length} datasets`,
        write: true,
        options: {
          method: 'PUT',
          headers: json,
          requests: fresh((n) => ({
            path: `${API}/datasets/bench/pool-${roundRobin(n)}`,
            body: JSON.stringify({ ...descriptor, description: `replaced ${n}` }),
          })),
        },
      };
    case 'patchDataset':
      return {
        label: `round-robin over ${seeded.pool.length} datasets`,
        write: true,
        options: {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json' },
          requests: fresh((n) => ({
            path: `${API}/datasets/bench/pool-${roundRobin(n)}`,
            body: JSON.stringify({ description: `patched ${n}` }),
          })),
        },
      };
    case 'deleteDataset':
      return (
        removing(created.datasets, (name) => `${API}/datasets/bench-created/${name}`) ?? {
          notMeasured: `too few datasets created (${created.datasets.length}) to delete`,
        }
      );
    case 'readResource':
      return { label: 'at head', options: { path: `${READ}/resources/readings-2020` } };
    case 'listRevisions':
      return { label: `${Math.min(20, REVISIONS + 1)} of ${REVISIONS + 1}`, options: { path: `${READ}/revisions?limit=20` } };
    case 'getRevision':
      return { label: 'the first', options: { path: `${READ}/revisions/${seeded.firstSha}` } };
    case 'diffRevisions':
      return { label: `tag v1 to head (${REVISIONS} revisions)`, options: { path: `${READ}/diff?from=v1` } };
    case 'revertDataset':
      return {
        label: `round-robin over ${seeded.pool.length} datasets, each to its other revision`,
        write: true,
        options: {
          method: 'POST',
          headers: json,
          requests: fresh((n) => {
            const index = roundRobin(n);
            const revisions = seeded.pool[index]!;
            const to = Math.floor(n / seeded.pool.length) % 2 === 0 ? revisions.first : revisions.second;
            return { path: `${API}/datasets/bench/pool-${index}/revert`, body: JSON.stringify({ to }) };
          }),
        },
      };
    case 'listTags':
      return { label: 'the one tag', options: { path: `${READ}/tags` } };
    case 'createTag':
      return {
        label: 'fresh names, at the first revision',
        write: true,
        options: {
          path: `${READ}/tags`,
          method: 'POST',
          headers: json,
          requests: recording(created.tags, (n) => {
            const name = `t-${n}`;
            return { name, request: { body: JSON.stringify({ name, ref: seeded.firstSha, description: 'bench' }) } };
          }),
        },
      };
    case 'getTag':
      return { label: 'v1', options: { path: `${READ}/tags/v1` } };
    case 'updateTag':
      return {
        label: 'v1, new description',
        write: true,
        options: {
          path: `${READ}/tags/v1`,
          method: 'PATCH',
          headers: json,
          requests: fresh((n) => ({ body: JSON.stringify({ description: `bench ${n}` }) })),
        },
      };
    case 'deleteTag':
      return (
        removing(created.tags, (name) => `${READ}/tags/${name}`) ?? {
          notMeasured: `too few tags created (${created.tags.length}) to delete`,
        }
      );
    case 'receiveGitHubWebhook':
      return { label: 'signed push for bench/read, fresh delivery', options: { path: `${API}/hooks/github`, requests: fresh(gitHubPush) } };
    case 'receiveGitLabWebhook':
      return { label: 'push for bench/read, fresh delivery', options: { path: `${API}/hooks/gitlab`, requests: fresh(gitLabPush) } };
    case 'openApiDocument':
      return { label: '', options: { path: '/openapi.json' } };
    case 'asyncApiDocument':
      return { label: '', options: { path: '/asyncapi.json' } };
    case 'docs':
      return { label: 'Swagger UI page', options: { path: '/docs/' } };
    default:
      return { notMeasured: 'no load planned for it in tools/bench/endpoints.bench.ts' };
  }
}

/** Headers a server computes per connection or per answer; the ceilings leave them to Node. */
const PER_ANSWER_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** The two ceilings' URLs and process ids. */
interface Ceilings {
  readonly express: string;
  readonly http: string;
  readonly pids: { readonly express: number; readonly http: number };
  stop(): Promise<void>;
}

/** Starts the Express and node:http ceilings, each serving the bytes and headers the API answered at `url`. */
async function startCeilings(url: string, dataDir: string): Promise<Ceilings> {
  const response = await fetch(url, { headers: AUTH_HEADERS });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!PER_ANSWER_HEADERS.has(name)) headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`endpoints bench: read at head answered ${response.status}`);
  const answerFile = path.join(dataDir, 'ceiling-answer.json');
  // No If-None-Match is sent here: the 304 answer is never used.
  await writeFile(answerFile, JSON.stringify({ body: body.toString('base64'), headers, notModifiedHeaders: {}, etag: headers['etag'] }));
  const started: BenchProcess[] = [];
  const urls: string[] = [];
  try {
    for (const kind of ['express', 'http']) {
      const port = await freePort();
      started.push(startProcess(process.execPath, ['tools/bench/ceiling.mjs', kind, String(port), answerFile], {}));
      urls.push(`http://127.0.0.1:${port}`);
      await waitFor(`http://127.0.0.1:${port}/`);
    }
  } catch (error) {
    for (const process of started) await process.stop();
    throw error;
  }
  return {
    express: urls[0]!,
    http: urls[1]!,
    pids: { express: started[0]!.pid, http: started[1]!.pid },
    stop: async () => {
      for (const process of started) await process.stop();
    },
  };
}

/** What one backend's run gives the summary. */
interface BackendFigures {
  readonly title: string;
  readonly head: number;
  readonly toExpress: number;
  readonly toHttp: number;
  /** Express's CPU per request over the API's, for reads at head. */
  readonly cpuToExpress: number;
  readonly peakRss: number;
  readonly hwm: number;
  readonly measured: number;
  readonly errors: number;
}

const mib = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '?');
const statusesOf = (row: LoadRow) =>
  Object.entries(row.statuses)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');

/** A backend ready to be measured: its API seeded, its ceilings up. */
interface Prepared {
  readonly backend: Backend;
  readonly api: ApiProcess;
  readonly seeded: Seeded;
  readonly ceilings: Ceilings;
  readonly setupSeconds: number;
  stop(): Promise<void>;
}

/** Starts a backend's servers, its API and ceilings, and seeds it; a string says why it is not measured here. */
async function prepare(name: string): Promise<Prepared | string> {
  const started = performance.now();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `metastore-bench-endpoints-${name}-`));
  let backend: Backend | string | undefined;
  let api: ApiProcess | undefined;
  let ceilings: Ceilings | undefined;
  const stop = async () => {
    await ceilings?.stop();
    await api?.stop();
    if (backend && typeof backend !== 'string') {
      await backend.stop();
      await backend.database.drop();
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    backend = await prepareBackend(name, dataDir);
    if (typeof backend === 'string') {
      await stop();
      return backend;
    }
    api = await startApi({
      dataDir: path.join(dataDir, 'api'),
      ...(backend.database.url ? { databaseUrl: backend.database.url } : {}),
      env: backend.env,
    });
    const seeded = await seed(api.url);
    ceilings = await startCeilings(`${api.url}${READ}`, dataDir);
    // Warm-ups (JIT) of the three servers the ratios compare: a ceiling measured cold, just started, spent more CPU per
    // request than the API warmed by the loads before it.
    for (const url of [ceilings.express, api.url, ceilings.http]) await load('warm-up', { url: `${url}${READ}`, duration: 0.5 });
    return { backend, api, seeded, ceilings, setupSeconds: (performance.now() - started) / 1000, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Loads every operation on one prepared backend and prints its table. */
async function measure({ backend, api, seeded, ceilings, setupSeconds }: Prepared): Promise<BackendFigures> {
  const before = memoryOf(api.pid);
  const sampler = sampleMemory(api.pid);
  const created: Created = { datasets: [], tags: [] };
  const rows: { operation: string; endpoint: string; label: string; row: LoadRow; rss: number }[] = [];
  const notMeasured: string[] = [];
  // A plan's path goes into the URL; a request's setup may set another.
  const run = async (operation: string, endpoint: string, label: string, options: LoadOptions, write = false) => {
    const { path: requestPath, ...rest } = options;
    const amount = write && WRITES !== undefined ? { amount: WRITES, connections: Math.min(CONNECTIONS, WRITES) } : {};
    const row = await load(operation, { url: `${api.url}${requestPath ?? ''}`, duration: DURATION, ...amount, ...rest }, 'success');
    rows.push({ operation, endpoint, label, row, rss: memoryOf(api.pid)?.rss ?? NaN });
    return row;
  };
  let head: { row: LoadRow; micros: number } | undefined;
  let express: { row: LoadRow; micros: number } | undefined;
  let http: { row: LoadRow; micros: number } | undefined;
  for (const operation of API_OPERATIONS) {
    const endpoint = `${operation.method.toUpperCase()} ${operation.mount === 'root' ? '' : API}${operation.path}`;
    const plan = planOf(operation.operationId, seeded, created);
    if ('notMeasured' in plan) {
      notMeasured.push(`${operation.operationId} (${endpoint}): ${plan.notMeasured}`);
      continue;
    }
    if (operation.operationId === 'readDataset') {
      // The ceilings loaded beside the read at head, so that a neighbour's load falls on all three alike.
      // With the CPU each server spent per request: steadier than req/s on a shared machine.
      const perRequest = async <T extends LoadRow>(pid: number, loading: () => Promise<T>) => {
        const before = cpuSecondsOf(pid);
        const row = await loading();
        const after = cpuSecondsOf(pid);
        return { row, micros: before !== undefined && after !== undefined ? ((after - before) * 1e6) / row.requests : NaN };
      };
      express = await perRequest(ceilings.pids.express, () =>
        load('ceiling: bare Express 5', { url: `${ceilings.express}${READ}`, duration: RATIO_DURATION }),
      );
      head = await perRequest(api.pid, () =>
        run(operation.operationId, endpoint, plan.label, { ...plan.options, duration: RATIO_DURATION }),
      );
      http = await perRequest(ceilings.pids.http, () =>
        load('ceiling: bare node:http', { url: `${ceilings.http}${READ}`, duration: RATIO_DURATION }),
      );
      await run(operation.operationId, endpoint, 'at tag v1 (from the catalog)', { path: `${READ}?ref=v1` });
      await run(operation.operationId, endpoint, 'at the first sha (from the catalog)', { path: `${READ}?ref=${seeded.firstSha}` });
      continue;
    }
    await run(operation.operationId, endpoint, plan.label, plan.options, plan.write);
  }
  sampler.stop();
  const after = memoryOf(api.pid);
  const peak = Math.max(sampler.peak(), after?.rss ?? NaN);

  console.log(`\n### Endpoints, ${backend.title}\n`);
  console.log(
    `catalog: ${backend.database.label}; ${CONNECTIONS} connections x ${DURATION} s per load` +
      `${WRITES !== undefined ? `, ${WRITES} requests per git write (one per connection)` : ''} (deletes: as many requests as created);` +
      ` API started and seeded in ${setupSeconds.toFixed(1)} s, beside the other backends'` +
      ` (bench/read: ${REVISIONS + 1} revisions, tag v1; ${POOL} pool datasets of 2 revisions).`,
  );
  console.log('errors: answers neither 2xx nor 3xx, and requests that failed; RSS: the API process after the load.\n');
  console.log('| operation | endpoint | load | requests | req/s | p50 ms | p99 ms | errors | statuses | RSS MiB |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---|---:|');
  for (const { operation, endpoint, label, row, rss } of rows) {
    const cells = [
      operation,
      `\`${endpoint}\``,
      label,
      row.requests,
      row.throughput.toFixed(0),
      row.p50,
      row.p99,
      row.errors,
      statusesOf(row),
      mib(rss),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const toExpress = head && express ? head.row.throughput / express.row.throughput : NaN;
  const toHttp = head && http ? head.row.throughput / http.row.throughput : NaN;
  const cpuRatio = (ceiling: typeof express) => (head && ceiling ? (ceiling.micros / head.micros).toFixed(2) : '?');
  console.log(
    `\nread at head / ceiling: ${toExpress.toFixed(2)} of bare Express 5 (${express?.row.throughput.toFixed(0)} req/s),` +
      ` ${toHttp.toFixed(2)} of bare node:http (${http?.row.throughput.toFixed(0)} req/s), same bytes and headers, loaded beside it` +
      ` for ${RATIO_DURATION} s each; CPU µs per request: API ${head?.micros.toFixed(0)}, Express ${express?.micros.toFixed(0)},` +
      ` node:http ${http?.micros.toFixed(0)} (ceiling CPU / API CPU: Express ${cpuRatio(express)}, node:http ${cpuRatio(http)};` +
      ` the API's own CPU only, not the git host's)`,
  );
  console.log(
    `API process memory: VmRSS ${mib(before?.rss ?? NaN)} MiB before the loads, peak ${mib(peak)} MiB under load` +
      ` (sampled every 50 ms), ${mib(after?.rss ?? NaN)} MiB at the end; VmHWM (its peak since it started, seeding included)` +
      ` ${mib(after?.hwm ?? NaN)} MiB`,
  );
  if (notMeasured.length > 0) console.log(`not measured: ${notMeasured.join('; ')}`);
  return {
    title: backend.title,
    head: head?.row.throughput ?? NaN,
    toExpress,
    toHttp,
    cpuToExpress: head && express ? express.micros / head.micros : NaN,
    peakRss: peak,
    hwm: after?.hwm ?? NaN,
    measured: new Set(rows.map((row) => row.operation)).size,
    errors: rows.reduce((sum, { row }) => sum + row.errors, 0),
  };
}

/** Runs the endpoints section: each backend's table, then one line per backend. */
export async function runEndpointsBench(): Promise<void> {
  console.log(
    `\n## Every endpoint per backend (${API_OPERATIONS.length} operations declared; node ${process.version}, ${os.cpus().length} cores)`,
  );
  // Set up side by side (seeding is mostly waiting on git and the hosts), measured one after the other.
  const prepared = await Promise.allSettled(BACKENDS.map((name) => prepare(name)));
  const figures: BackendFigures[] = [];
  const failures: unknown[] = [];
  try {
    for (const [index, outcome] of prepared.entries()) {
      if (outcome.status === 'rejected') {
        console.log(`\n### Endpoints, ${BACKENDS[index]}: failed to start (${String(outcome.reason)})`);
        failures.push(outcome.reason);
      } else if (typeof outcome.value === 'string') {
        console.log(`\n### Endpoints, ${BACKENDS[index]}: not measured (${outcome.value})`);
      } else {
        try {
          figures.push(await measure(outcome.value));
        } catch (error) {
          console.log(`\n### Endpoints, ${outcome.value.backend.title}: failed (${String(error)})`);
          failures.push(error);
        }
      }
    }
  } finally {
    for (const outcome of prepared) if (outcome.status === 'fulfilled' && typeof outcome.value !== 'string') await outcome.value.stop();
  }
  console.log('\n### Endpoints, per backend\n');
  console.log(
    '| backend | operations measured | errors | read at head req/s | / Express | / node:http | Express CPU / API CPU | peak RSS MiB | VmHWM MiB |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of figures) {
    const cells = [
      row.title,
      `${row.measured} of ${API_OPERATIONS.length}`,
      row.errors,
      row.head.toFixed(0),
      row.toExpress.toFixed(2),
      row.toHttp.toFixed(2),
      row.cpuToExpress.toFixed(2),
      mib(row.peakRss),
      mib(row.hwm),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  if (failures.length > 0) throw failures[0];
}
