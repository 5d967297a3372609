/**
 * The writes section (`--only=writes`): creates and conditional updates per second on one dataset (contended: 412s
 * counted) and across many, with one and with two API processes on one data directory and one PostgreSQL database
 * (`DATABASE_URL`; the embedded PGlite serves one process only, so without it only one process is measured). A small
 * client pool, not autocannon: an update needs the head it was computed from (If-Match), taken from the previous
 * answer's ETag or, after a 412, from a read. After each load it checks that no update was lost: every acknowledged
 * revision is in the dataset's history, the history holds exactly the acknowledged commits (a 412 changed nothing), and
 * the events feed holds one event per acknowledged write (exactly once). Then the catalog write's tail on its own
 * (`appendTail`), with the outbox append lock exclusive and shared: what that lock costs without the API's CPU in front.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cpuSecondsOf, segmentsBetween, segmentsSentTo } from './process-counters';
import { AUTH_HEADERS, benchDatabase, call, CONNECTIONS, DURATION_SECONDS, percentile, startApi, type ApiProcess } from './harness';

/** Datasets the "many datasets" updates spread over: `BENCH_WRITES_DATASETS`, default 4 per writer. */
const MANY_DATASETS = Number(process.env['BENCH_WRITES_DATASETS'] ?? CONNECTIONS * 4);

/** A small descriptor: the bench measures the write path, not the validation of a large document. */
const descriptorOf = (name: string) => ({ name, title: 'writes bench', resources: [{ name: 'r', path: 'r.csv' }] });

/** What one load did. */
interface WriteRow {
  readonly operation: string;
  readonly processes: number;
  readonly acknowledged: number;
  readonly rejected412: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latencies: number[];
  /** Lost updates found afterwards (see `verify`). */
  lost: number;
  /** What the load cost, where the operating system says (Linux): see `costOf`. */
  cost?: LoadCost;
}

/** The API processes' CPU and catalog queries per acknowledged write, and the cores the machine left idle meanwhile. */
interface LoadCost {
  readonly cpuMsPerWrite?: number;
  readonly queriesPerWrite?: number;
  readonly idleCores?: number;
}

/** Idle core-seconds of the whole machine so far (Linux /proc/stat), or undefined. */
function idleSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return ((fields[3] ?? 0) + (fields[4] ?? 0)) / 100;
  } catch {
    return undefined;
  }
}

/** Counters of the API processes (CPU, segments sent to the database's port: about one per query) and of the machine. */
function countersOf(apis: readonly ApiProcess[], databasePort: number | undefined) {
  return {
    cpu: apis.map((api) => cpuSecondsOf(api.pid)),
    segments: apis.map((api) => (databasePort === undefined ? undefined : segmentsSentTo(api.pid, databasePort))),
    idle: idleSeconds(),
  };
}

/** Runs `load` and says what it cost per acknowledged write (see `LoadCost`). */
async function withCost<T extends { row: WriteRow }>(
  apis: readonly ApiProcess[],
  databasePort: number | undefined,
  load: () => Promise<T>,
): Promise<T> {
  const before = countersOf(apis, databasePort);
  const result = await load();
  const { row } = result;
  const after = countersOf(apis, databasePort);
  const writes = Math.max(1, row.acknowledged);
  const sum = (values: (number | undefined)[]) =>
    values.every((value) => value !== undefined) ? values.reduce((a, b) => a! + b!, 0) : undefined;
  const cpu = sum(
    after.cpu.map((value, index) => (value === undefined || before.cpu[index] === undefined ? undefined : value - before.cpu[index]!)),
  );
  const segments = sum(
    after.segments.map((value, index) => (value && before.segments[index] ? segmentsBetween(before.segments[index]!, value) : undefined)),
  );
  row.cost = {
    ...(cpu !== undefined ? { cpuMsPerWrite: (cpu * 1000) / writes } : {}),
    ...(segments !== undefined ? { queriesPerWrite: segments / writes } : {}),
    ...(after.idle !== undefined && before.idle !== undefined ? { idleCores: (after.idle - before.idle) / row.seconds } : {}),
  };
  return result;
}

const perSecond = (row: WriteRow) => row.acknowledged / row.seconds;

/** Runs `writers` loops for `DURATION_SECONDS`; each calls `step(writer)` until time is up. */
async function drive(writers: number, step: (writer: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = started + DURATION_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      while (performance.now() < deadline) await step(writer);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function request(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: { ...AUTH_HEADERS, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Creates as many datasets as the writers manage (each its own dataset). */
async function creates(apis: readonly ApiProcess[], owner: string): Promise<{ row: WriteRow; created: Map<string, number> }> {
  let next = 0;
  const created = new Map<string, number>();
  const row: WriteRow = {
    operation: 'create',
    processes: apis.length,
    acknowledged: 0,
    rejected412: 0,
    errors: 0,
    seconds: 0,
    latencies: [],
    lost: 0,
  };
  const counts = { acknowledged: 0, errors: 0 };
  const seconds = await drive(CONNECTIONS, async (writer) => {
    const name = `set-${(next += 1)}`;
    const sent = performance.now();
    const response = await request(
      'POST',
      `${apis[writer % apis.length]!.url}/api/v1/datasets`,
      { 'content-type': 'application/json' },
      {
        owner,
        name,
        descriptor: descriptorOf(name),
      },
    );
    await response.arrayBuffer();
    if (response.status === 201) {
      counts.acknowledged += 1;
      row.latencies.push(performance.now() - sent);
      created.set(name, 0);
    } else counts.errors += 1;
  });
  return { row: { ...row, ...counts, seconds }, created };
}

/**
 * Conditional updates (PATCH with If-Match) of `datasets`, writer `w` starting at dataset `w % datasets.length` and
 * moving to a random one after each attempt. Returns the row and, per dataset, the acknowledged revisions.
 */
async function updates(
  apis: readonly ApiProcess[],
  owner: string,
  datasets: readonly string[],
  operation: string,
): Promise<{ row: WriteRow; acknowledged: Map<string, string[]> }> {
  const acknowledged = new Map<string, string[]>(datasets.map((name) => [name, []]));
  const heads = new Map<string, string>();
  const row: WriteRow = {
    operation,
    processes: apis.length,
    acknowledged: 0,
    rejected412: 0,
    errors: 0,
    seconds: 0,
    latencies: [],
    lost: 0,
  };
  let sequence = 0;
  let acknowledgedCount = 0;
  let rejected = 0;
  let errors = 0;
  const seconds = await drive(CONNECTIONS, async (writer) => {
    const api = apis[writer % apis.length]!;
    const name = datasets.length === 1 ? datasets[0]! : datasets[Math.floor(Math.random() * datasets.length)]!;
    const url = `${api.url}/api/v1/datasets/${owner}/${name}`;
    let head = heads.get(name);
    if (!head) {
      const read = await request('GET', url);
      await read.arrayBuffer();
      head = read.headers.get('etag') ?? '';
    }
    const sent = performance.now();
    const response = await request(
      'PATCH',
      url,
      { 'content-type': 'application/merge-patch+json', 'if-match': head },
      {
        description: `update ${(sequence += 1)}`,
      },
    );
    const text = await response.text();
    if (response.status === 200) {
      acknowledgedCount += 1;
      row.latencies.push(performance.now() - sent);
      const sha = (JSON.parse(text) as { revision: { sha: string } }).revision.sha;
      acknowledged.get(name)!.push(sha);
      heads.set(name, response.headers.get('etag') ?? `"${sha}"`);
    } else if (response.status === 412) {
      rejected += 1;
      heads.delete(name);
    } else {
      errors += 1;
      heads.delete(name);
    }
  });
  return { row: { ...row, acknowledged: acknowledgedCount, rejected412: rejected, errors, seconds }, acknowledged };
}

/** Every revision of a dataset, newest first (first parent). */
async function history(apiUrl: string, owner: string, name: string): Promise<string[]> {
  const shas: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Record<string, unknown> = await call(
      'GET',
      `${apiUrl}/api/v1/datasets/${owner}/${name}/revisions?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    shas.push(...(page['items'] as { sha: string }[]).map((item) => item.sha));
    cursor = page['nextCursor'] as string | null;
  } while (cursor);
  return shas;
}

/** The owner's events in the feed, counted by type and dataset (`type owner/name`). */
async function eventCounts(apiUrl: string, owner: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let after = '0';
  for (;;) {
    const page = await call('GET', `${apiUrl}/api/v1/events?owner=${owner}&limit=100&after=${after}`);
    const items = page['items'] as { sequence: string; event: { type: string; subject?: string } }[];
    for (const { event } of items) {
      const key = `${event.type} ${event.subject ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    if (!page['nextCursor']) return counts;
    after = page['nextCursor'] as string;
  }
}

/**
 * Lost updates: an acknowledged revision missing from the history, a commit no one was told about (a 412 that changed
 * something), or an event count other than one per acknowledged write. Returns how many problems it found, printing each.
 */
async function verify(
  apiUrl: string,
  owner: string,
  acknowledged: ReadonlyMap<string, readonly string[]>,
  seeded: number,
): Promise<number> {
  let problems = 0;
  const events = await eventCounts(apiUrl, owner);
  for (const [name, shas] of acknowledged) {
    const revisions = await history(apiUrl, owner, name);
    const known = new Set(revisions);
    const missing = shas.filter((sha) => !known.has(sha)).length;
    const expected = seeded + shas.length;
    if (missing > 0 || revisions.length !== expected) {
      problems += Math.max(missing, Math.abs(revisions.length - expected));
      console.log(
        `LOST: ${owner}/${name}: ${missing} acknowledged revisions missing, ${revisions.length} revisions for ${expected} writes`,
      );
    }
    const updatedEvents = events.get(`dataset.updated ${owner}/${name}`) ?? 0;
    if (updatedEvents !== shas.length) {
      problems += 1;
      console.log(`EVENTS: ${owner}/${name}: ${updatedEvents} dataset.updated events for ${shas.length} acknowledged updates`);
    }
  }
  return problems;
}

/** One process count: creates, updates of one dataset, updates across many. */
async function measure(apis: readonly ApiProcess[], tag: string, databasePort: number | undefined): Promise<WriteRow[]> {
  const rows: WriteRow[] = [];
  const createOwner = `wc-${tag}`;
  const { row: createRow, created } = await withCost(apis, databasePort, () => creates(apis, createOwner));
  const createdEvents = await eventCounts(apis[0]!.url, createOwner);
  const createdCount = [...createdEvents].filter(([key]) => key.startsWith('dataset.created')).reduce((sum, [, count]) => sum + count, 0);
  createRow.lost = Math.abs(createdCount - created.size);
  if (createRow.lost > 0) console.log(`EVENTS: ${createdCount} dataset.created events for ${created.size} acknowledged creates`);
  rows.push(createRow);

  const owner = `wu-${tag}`;
  await call('POST', `${apis[0]!.url}/api/v1/datasets`, { owner, name: 'one', descriptor: descriptorOf('one') });
  const one = await withCost(apis, databasePort, () => updates(apis, owner, ['one'], 'update, one dataset (If-Match)'));
  one.row.lost = await verify(apis[0]!.url, owner, one.acknowledged, 1);
  rows.push(one.row);

  const names = Array.from({ length: MANY_DATASETS }, (_, index) => `many-${index}`);
  await Promise.all(names.map((name) => call('POST', `${apis[0]!.url}/api/v1/datasets`, { owner, name, descriptor: descriptorOf(name) })));
  const many = await withCost(apis, databasePort, () => updates(apis, owner, names, `update, ${MANY_DATASETS} datasets (If-Match)`));
  many.row.lost = await verify(apis[apis.length - 1]!.url, owner, many.acknowledged, 1);
  rows.push(many.row);
  return rows;
}

/**
 * The tail of a catalog write on its own, without the API's CPU in front of it: BEGIN, the outbox append lock, one event
 * INSERTed into `outbox_events`, COMMIT, on `CONNECTIONS` connections for `DURATION_SECONDS`; with the lock exclusive (as
 * appends took it before) and shared (as they take it now). Appends per second.
 */
async function appendTail(databaseUrl: string, mode: 'exclusive' | 'shared'): Promise<number> {
  const lock = mode === 'exclusive' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  let appends = 0;
  try {
    const seconds = await drive(CONNECTIONS, async (writer) => {
      const client = clients[writer]!;
      await client.query('BEGIN');
      // Any key: nothing else runs on this database meanwhile.
      await client.query(`SELECT 1 FROM ${lock}(4242)`);
      await client.query(
        `INSERT INTO outbox_events (event_id, owner, name, type, payload, published_at) VALUES (gen_random_uuid(), 'tail', 'tail', 'dataset.updated', '{}', now())`,
      );
      await client.query('COMMIT');
      appends += 1;
    });
    return appends / seconds;
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/** Starts `count` API processes on one data directory and one database, runs `measure`, stops them. */
async function withApis(count: number, dataDir: string, databaseUrl: string | undefined, tag: string): Promise<WriteRow[]> {
  const apis: ApiProcess[] = [];
  try {
    for (let index = 0; index < count; index += 1) apis.push(await startApi({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) }));
    // The server's port: the API's connections to it are counted (the embedded database's are not).
    return await measure(apis, tag, databaseUrl ? Number(new URL(databaseUrl).port || 5432) : undefined);
  } finally {
    await Promise.all(apis.map((api) => api.stop()));
  }
}

/** Runs the writes section (see the file's comment). */
export async function runWritesBench(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-writes-'));
  const database = await benchDatabase();
  try {
    const rows = await withApis(1, dataDir, database.url, 'p1');
    if (database.url) rows.push(...(await withApis(2, dataDir, database.url, 'p2')));
    console.log(
      `\nWrites: local git backend, ${CONNECTIONS} writers, ${DURATION_SECONDS}s per load, node ${process.version}, ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}`,
    );
    console.log(`catalog: ${database.label}`);
    if (!database.url) console.log('(the embedded PGlite serves one process only: set DATABASE_URL to measure two API processes)');
    console.log(
      '\n| operation | processes | acknowledged | writes/s | 412 | errors | p50 ms | p99 ms | lost | API CPU ms/write | queries/write | idle cores |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const figure = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
    for (const row of rows) {
      console.log(
        `| ${row.operation} | ${row.processes} | ${row.acknowledged} | ${perSecond(row).toFixed(0)} | ${row.rejected412} | ${row.errors} | ${percentile(row.latencies, 0.5).toFixed(1)} | ${percentile(row.latencies, 0.99).toFixed(1)} | ${row.lost} | ${figure(row.cost?.cpuMsPerWrite, 1)} | ${figure(row.cost?.queriesPerWrite, 1)} | ${figure(row.cost?.idleCores, 2)} |`,
      );
    }
    console.log(
      '(API CPU: both processes, over the acknowledged writes; queries: segments the API sent to the database; idle cores: the ' +
        "machine's, during the load: near 0, the machine, not the API, caps a second process)",
    );
    const of = (operation: string, processes: number) => rows.find((row) => row.operation === operation && row.processes === processes);
    const manyName = `update, ${MANY_DATASETS} datasets (If-Match)`;
    console.log('');
    for (const processes of [1, 2]) {
      const one = of('update, one dataset (If-Match)', processes);
      const many = of(manyName, processes);
      if (one && many)
        console.log(
          `${processes} process(es): updates/s, ${MANY_DATASETS} datasets / 1 dataset = ${(perSecond(many) / perSecond(one)).toFixed(2)}`,
        );
    }
    for (const operation of ['create', 'update, one dataset (If-Match)', manyName]) {
      const single = of(operation, 1);
      const double = of(operation, 2);
      if (single && double) console.log(`${operation}: 2 processes / 1 process = ${(perSecond(double) / perSecond(single)).toFixed(2)}`);
    }
    if (database.url) {
      const exclusive = await appendTail(database.url, 'exclusive');
      const shared = await appendTail(database.url, 'shared');
      console.log(`\nThe catalog write's tail alone (BEGIN, append lock, one outbox INSERT, COMMIT), ${CONNECTIONS} connections:\n`);
      console.log('| append lock | appends/s |');
      console.log('|---|---:|');
      console.log(`| exclusive (before: every append in turn) | ${exclusive.toFixed(0)} |`);
      console.log(`| shared (now: readers wait, appends do not) | ${shared.toFixed(0)} |`);
      console.log(`shared / exclusive = ${(shared / exclusive).toFixed(2)}`);
    }
    const lost = rows.reduce((sum, row) => sum + row.lost, 0);
    console.log(`lost updates or miscounted events: ${lost}`);
    if (lost > 0) throw new Error(`writes: ${lost} lost updates or miscounted events`);
  } finally {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
