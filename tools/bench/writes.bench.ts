/**
 * The writes section (`--only=writes`): creates and conditional updates per second on one dataset (contended: 412s
 * counted) and across many, on one data directory and one PostgreSQL database (`DATABASE_URL`; the embedded PGlite
 * serves one process only, so without it only one process is measured), with the API placed four ways (`taskset`): one
 * process on one core and on every core, two processes with a core each and sharing every core; then how writes/s grow
 * with cores and with processes, as ratios. A small client pool, not autocannon: an update needs the head it was computed
 * from (If-Match), taken from the previous answer's ETag or, after a 412, from a read. After each load it checks that no
 * update was lost: every acknowledged revision is in the dataset's history, the history holds exactly the acknowledged
 * commits (a 412 changed nothing), and the events feed holds one event per acknowledged write (exactly once). Then the
 * catalog write's tail on its own (`appendTail`), with the outbox append lock exclusive and shared: what that lock costs
 * without the API's CPU in front. `--quick` leaves out the contended dataset's load and the tail; `--profile` adds a CPU
 * profile of the updates across datasets by layer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cpuSecondsOf, segmentsBetween, segmentsSentTo } from './process-counters';
import { AUTH_HEADERS, benchDatabase, call, CONNECTIONS, DURATION_SECONDS, percentile, startApi, type ApiProcess } from './harness';
import { formatProfileSummary, profileLoad } from './profile';
import { QUICK } from './quick';

/** `--profile`: the section ends with a CPU profile of one API process under the updates across datasets. */
const PROFILE = process.argv.slice(2).includes('--profile');

/** Datasets the "many datasets" updates spread over: `BENCH_WRITES_DATASETS`, default 4 per writer. */
const MANY_DATASETS = Number(process.env['BENCH_WRITES_DATASETS'] ?? CONNECTIONS * 4);

/** The two update loads' names in the table. */
const ONE_DATASET = 'update, one dataset (If-Match)';
const MANY_DATASETS_OPERATION = `update, ${MANY_DATASETS} datasets (If-Match)`;

/** A small descriptor: the bench measures the write path, not the validation of a large document. */
const descriptorOf = (name: string) => ({ name, title: 'writes bench', resources: [{ name: 'r', path: 'r.csv' }] });

/** What one load did. */
interface WriteRow {
  readonly operation: string;
  readonly processes: number;
  /** Where the API processes ran (see `Placement`). */
  readonly placement?: string;
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

/** Runs `writers` loops for `seconds` (`DURATION_SECONDS`); each calls `step(writer)` until time is up. */
async function drive(writers: number, step: (writer: number) => Promise<void>, seconds = DURATION_SECONDS): Promise<number> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
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

/** A load's row before it runs: nothing acknowledged, refused, failed or lost yet. */
function emptyRow(operation: string, processes: number): WriteRow {
  return { operation, processes, acknowledged: 0, rejected412: 0, errors: 0, seconds: 0, latencies: [], lost: 0 };
}

/** Creates as many datasets as the writers manage (each its own dataset). */
async function creates(apis: readonly ApiProcess[], owner: string): Promise<{ row: WriteRow; created: Map<string, number> }> {
  let next = 0;
  const created = new Map<string, number>();
  const row = emptyRow('create', apis.length);
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
 * Numbers every update's description across loads: a patch equal to the stored description would change nothing (200,
 * no commit, no event), and loads of several placements update the same datasets.
 */
let updateSequence = 0;

/**
 * Conditional updates (PATCH with If-Match) of `datasets`, writer `w` starting at dataset `w % datasets.length` and
 * moving to a random one after each attempt. Returns the row and, per dataset, the acknowledged revisions.
 */
async function updates(
  apis: readonly ApiProcess[],
  owner: string,
  datasets: readonly string[],
  operation: string,
  seconds = DURATION_SECONDS,
): Promise<{ row: WriteRow; acknowledged: Map<string, string[]> }> {
  const acknowledged = new Map<string, string[]>(datasets.map((name) => [name, []]));
  const heads = new Map<string, string>();
  const row = emptyRow(operation, apis.length);
  let acknowledgedCount = 0;
  let rejected = 0;
  let errors = 0;
  const elapsed = await drive(
    CONNECTIONS,
    async (writer) => {
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
          description: `update ${(updateSequence += 1)}`,
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
    },
    seconds,
  );
  return { row: { ...row, acknowledged: acknowledgedCount, rejected412: rejected, errors, seconds: elapsed }, acknowledged };
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
    const items = page['items'] as { sequence: string; event: { type: string; subject?: string; data?: { newRevision?: string } } }[];
    for (const { event } of items) {
      const key = `${event.type} ${event.subject ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      // By revision too: one event per acknowledged revision, so that a duplicate cannot hide a missing one.
      const revision = event.data?.newRevision;
      if (revision !== undefined) counts.set(`${key}@${revision}`, (counts.get(`${key}@${revision}`) ?? 0) + 1);
    }
    if (!page['nextCursor']) return counts;
    after = page['nextCursor'] as string;
  }
}

/** Per dataset, its revisions and `dataset.updated` events before a load: what the load's acknowledged writes add to. */
type Ledger = Map<string, { revisions: number; updated: number }>;

/** A ledger of datasets just created (one revision, no update event yet). */
const freshLedger = (names: readonly string[]): Ledger => new Map(names.map((name) => [name, { revisions: 1, updated: 0 }]));

/**
 * Lost updates: an acknowledged revision missing from the history, a commit no one was told about (a 412 that changed
 * something), or an event count other than one per acknowledged write, counted from `ledger`'s figures (which it then
 * moves to what it found, for the next load on the same datasets). Returns how many problems it found, printing each.
 */
async function verify(
  apiUrl: string,
  owner: string,
  acknowledged: ReadonlyMap<string, readonly string[]>,
  ledger: Ledger,
): Promise<number> {
  let problems = 0;
  const events = await eventCounts(apiUrl, owner);
  const names = [...acknowledged.keys()];
  const histories = new Map<string, string[]>();
  // A few at a time: the histories of 40 datasets read one by one took a second of the quick run.
  for (let start = 0; start < names.length; start += CONNECTIONS) {
    const chunk = names.slice(start, start + CONNECTIONS);
    const read = await Promise.all(chunk.map((name) => history(apiUrl, owner, name)));
    chunk.forEach((name, index) => histories.set(name, read[index]!));
  }
  for (const [name, shas] of acknowledged) {
    const before = ledger.get(name) ?? { revisions: 1, updated: 0 };
    const revisions = histories.get(name)!;
    const known = new Set(revisions);
    const missing = shas.filter((sha) => !known.has(sha)).length;
    const expected = before.revisions + shas.length;
    if (missing > 0 || revisions.length !== expected) {
      problems += Math.max(missing, Math.abs(revisions.length - expected));
      console.log(
        `LOST: ${owner}/${name}: ${missing} acknowledged revisions missing, ${revisions.length} revisions for ${expected} writes`,
      );
    }
    const updatedEvents = events.get(`dataset.updated ${owner}/${name}`) ?? 0;
    const notOnce = shas.filter((sha) => events.get(`dataset.updated ${owner}/${name}@${sha}`) !== 1).length;
    if (notOnce > 0) {
      problems += notOnce;
      console.log(`EVENTS: ${owner}/${name}: ${notOnce} acknowledged updates without exactly one dataset.updated event of their revision`);
    }
    if (updatedEvents !== before.updated + shas.length) {
      problems += 1;
      console.log(
        `EVENTS: ${owner}/${name}: ${updatedEvents - before.updated} dataset.updated events for ${shas.length} acknowledged updates`,
      );
    }
    ledger.set(name, { revisions: revisions.length, updated: updatedEvents });
  }
  return problems;
}

/** Creates `names` under `owner` (the datasets the updates then spread over), a few at a time. */
async function seed(apiUrl: string, owner: string, names: readonly string[]): Promise<void> {
  for (let start = 0; start < names.length; start += CONNECTIONS) {
    await Promise.all(
      names
        .slice(start, start + CONNECTIONS)
        .map((name) => call('POST', `${apiUrl}/api/v1/datasets`, { owner, name, descriptor: descriptorOf(name) })),
    );
  }
}

/** The datasets the updates across many datasets spread over, created once and reused by every placement's load. */
interface SharedDatasets {
  readonly owner: string;
  readonly names: readonly string[];
  readonly ledger: Ledger;
}

/** One placement's loads: creates, updates of one dataset (unless `withOneDataset` is false), updates across many. */
async function measure(
  apis: readonly ApiProcess[],
  placement: Placement,
  tag: string,
  databasePort: number | undefined,
  shared: SharedDatasets,
  withOneDataset: boolean,
): Promise<WriteRow[]> {
  const rows: WriteRow[] = [];
  const placed = (row: WriteRow): WriteRow => ({ ...row, placement: placement.label });
  const createOwner = `wc-${tag}`;
  const { row: createRow, created } = await withCost(apis, databasePort, () => creates(apis, createOwner));
  const createdEvents = await eventCounts(apis[0]!.url, createOwner);
  // Exactly one dataset.created event per acknowledged create, and none for anything else.
  const createdKeys = [...createdEvents].filter(([key]) => key.startsWith('dataset.created ') && !key.includes('@'));
  const notOnce = [...created.keys()].filter((name) => createdEvents.get(`dataset.created ${createOwner}/${name}`) !== 1).length;
  const unexpected = createdKeys.filter(([key]) => !created.has(key.slice(`dataset.created ${createOwner}/`.length))).length;
  createRow.lost = notOnce + unexpected;
  if (createRow.lost > 0)
    console.log(
      `EVENTS: ${notOnce} acknowledged creates without exactly one dataset.created event, ${unexpected} events for no acknowledged create`,
    );
  rows.push(placed(createRow));

  if (withOneDataset) {
    const owner = `wu-${tag}`;
    await call('POST', `${apis[0]!.url}/api/v1/datasets`, { owner, name: 'one', descriptor: descriptorOf('one') });
    const one = await withCost(apis, databasePort, () => updates(apis, owner, ['one'], ONE_DATASET));
    one.row.lost = await verify(apis[0]!.url, owner, one.acknowledged, freshLedger(['one']));
    rows.push(placed(one.row));
  }

  const many = await withCost(apis, databasePort, () => updates(apis, shared.owner, shared.names, MANY_DATASETS_OPERATION));
  many.row.lost = await verify(apis[apis.length - 1]!.url, shared.owner, many.acknowledged, shared.ledger);
  rows.push(placed(many.row));
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

/**
 * Where the API processes of a load run: how many, and on which cores (`taskset` lists, one per process; absent: wherever
 * the scheduler puts them, as with no pinning at all).
 */
interface Placement {
  readonly label: string;
  readonly processes: number;
  readonly cores?: readonly string[];
}

/** Whether `taskset` (util-linux) can pin this machine's processes; the reason it cannot, otherwise. */
function tasksetProblem(): string | undefined {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    return `taskset did not run (${(error as Error).message.split('\n')[0]})`;
  }
}

/** Pins every thread of `pid` to `cores` (a taskset list such as `0` or `0-1`). */
function pin(pid: number, cores: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/**
 * The placements measured, in order: one process on one core and on every core, then two processes with a core each and
 * sharing every core. Without `taskset` (or with one core) only the unpinned ones; without a server database, one process.
 */
function placements(cores: number, pinning: boolean, twoProcesses: boolean): Placement[] {
  const all = `0-${cores - 1}`;
  const plural = (count: number) => `${count} core${count === 1 ? '' : 's'}`;
  const list: Placement[] = [];
  if (pinning && cores > 1) list.push({ label: '1 core', processes: 1, cores: ['0'] });
  list.push({ label: plural(cores), processes: 1, ...(pinning ? { cores: [all] } : {}) });
  if (twoProcesses) {
    if (pinning && cores > 1) list.push({ label: '1 core each', processes: 2, cores: ['0', '1'] });
    list.push({ label: `${plural(cores)} shared`, processes: 2, ...(pinning ? { cores: [all, all] } : {}) });
  }
  return list;
}

/** A few creates on a process just started, so that its first measured second is not spent compiling. */
async function warmUp(api: ApiProcess, owner: string): Promise<void> {
  await seed(
    api.url,
    owner,
    Array.from({ length: CONNECTIONS * 2 }, (_, index) => `warm-${index}`),
  );
}

/** The datasets every placement's updates spread over (their creation warms the first process up). */
async function sharedDatasets(api: ApiProcess, owner: string): Promise<SharedDatasets> {
  const names = Array.from({ length: MANY_DATASETS }, (_, index) => `many-${index}`);
  await seed(api.url, owner, names);
  return { owner, names, ledger: freshLedger(names) };
}

/**
 * Runs every placement on one data directory and database: the API processes, started together and warmed up, pinned in
 * turn to each placement's cores (a process a placement does not use idles).
 */
async function measurePlacements(
  list: readonly Placement[],
  dataDir: string,
  databaseUrl: string | undefined,
  withOneDataset: boolean,
): Promise<WriteRow[]> {
  const apis: ApiProcess[] = [];
  const rows: WriteRow[] = [];
  // The server's port: the API's connections to it are counted (the embedded database's are not).
  const databasePort = databaseUrl ? Number(new URL(databaseUrl).port || 5432) : undefined;
  try {
    // Every process starts at once (the second idles through the one-process loads), and each is warmed up before any load.
    const count = Math.max(...list.map((placement) => placement.processes));
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => startApi({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) })),
    );
    for (const result of started) if (result.status === 'fulfilled') apis.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const shared = await sharedDatasets(apis[0]!, 'wu');
    for (const [index, api] of apis.entries()) if (index > 0) await warmUp(api, `warm-${index}`);
    for (const [index, placement] of list.entries()) {
      placement.cores?.forEach((cores, process) => pin(apis[process]!.pid, cores));
      const placed = apis.slice(0, placement.processes);
      rows.push(...(await measure(placed, placement, `s${index}`, databasePort, shared, withOneDataset)));
    }
    return rows;
  } finally {
    await Promise.all(apis.map((api) => api.stop()));
  }
}

/**
 * With `--profile`: one more API process under `node --cpu-prof` while it serves the updates across datasets; prints
 * where that load's samples went, by layer (profile.ts).
 */
async function profileWrites(dataDir: string, databaseUrl: string | undefined): Promise<void> {
  const databasePort = databaseUrl ? Number(new URL(databaseUrl).port || 5432) : undefined;
  const { result, file, summary } = await profileLoad(
    'writes bench',
    (nodeArgs) => startApi({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), nodeArgs }),
    async (api) => {
      await warmUp(api, 'warm-profile');
      return sharedDatasets(api, 'wprof');
    },
    (api, { owner, names }) =>
      withCost([api], databasePort, () => updates([api], owner, names, MANY_DATASETS_OPERATION, Math.max(DURATION_SECONDS, 8))),
  );
  const { row } = result;
  const cost = `${row.cost?.cpuMsPerWrite?.toFixed(1) ?? '-'} ms of CPU and ${row.cost?.queriesPerWrite?.toFixed(1) ?? '-'} queries per update`;
  console.log(
    formatProfileSummary(
      `\n### CPU profile of updates across ${MANY_DATASETS} datasets, one process (${perSecond(row).toFixed(0)} updates/s while profiled, ${cost}; ${file})`,
      summary,
    ),
  );
}

/** Runs the writes section (see the file's comment). */
export async function runWritesBench(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-writes-'));
  const database = await benchDatabase();
  const cores = os.cpus().length;
  const pinningProblem = tasksetProblem();
  // Quick: one second per load, no load on one dataset and no tail alone, so that the section stays near 15 s.
  const withOneDataset = !QUICK;
  try {
    const list = placements(cores, pinningProblem === undefined, database.url !== undefined);
    const rows = await measurePlacements(list, dataDir, database.url, withOneDataset);
    console.log(
      `\nWrites: local git backend, ${CONNECTIONS} writers, ${DURATION_SECONDS}s per load, node ${process.version}, ${cores} cores, load ${os
        .loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}`,
    );
    console.log(`catalog: ${database.label}`);
    if (!database.url) console.log('(the embedded PGlite serves one process only: set DATABASE_URL to measure two API processes)');
    if (pinningProblem) console.log(`(${pinningProblem}: the API processes run unpinned, so no figures per core)`);
    if (QUICK) console.log("(--quick: no load on one contended dataset, no measure of the catalog write's tail alone)");
    console.log(
      '\n| operation | processes | cores | acknowledged | writes/s | 412 | errors | p50 ms | p99 ms | lost | API CPU ms/write | queries/write | idle cores |',
    );
    console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const figure = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
    for (const row of rows) {
      console.log(
        `| ${row.operation} | ${row.processes} | ${row.placement ?? '-'} | ${row.acknowledged} | ${perSecond(row).toFixed(0)} | ${row.rejected412} | ${row.errors} | ${percentile(row.latencies, 0.5).toFixed(1)} | ${percentile(row.latencies, 0.99).toFixed(1)} | ${row.lost} | ${figure(row.cost?.cpuMsPerWrite, 1)} | ${figure(row.cost?.queriesPerWrite, 1)} | ${figure(row.cost?.idleCores, 2)} |`,
      );
    }
    console.log(
      '(cores: where the API processes ran, pinned with taskset; the bench client and PostgreSQL share the same cores. API CPU: ' +
        'all its processes, over the acknowledged writes; queries: segments the API sent to the database; idle cores: the ' +
        "machine's, during the load: near 0, the machine, not the API, caps the figure)",
    );
    const of = (operation: string, placement: Placement | undefined) =>
      placement && rows.find((row) => row.operation === operation && row.placement === placement.label);
    const ratio = (top: WriteRow | undefined, bottom: WriteRow | undefined) =>
      top && bottom ? (perSecond(top) / perSecond(bottom)).toFixed(2) : '-';
    const [oneCore, allCores, coreEach, shared] = [
      list.find((entry) => entry.processes === 1 && entry.cores?.[0] === '0'),
      list.find((entry) => entry.processes === 1 && entry.cores?.[0] !== '0'),
      list.find((entry) => entry.processes === 2 && entry.cores?.[0] === '0'),
      list.find((entry) => entry.processes === 2 && entry.cores?.[0] !== '0'),
    ];
    const operations = ['create', ...(withOneDataset ? [ONE_DATASET] : []), MANY_DATASETS_OPERATION];
    console.log(
      `\n| operation | 1 process: ${cores} cores / 1 core | 2 processes / 1, a core each | 2 processes / 1, ${cores} cores shared |`,
    );
    console.log('|---|---:|---:|---:|');
    for (const operation of operations) {
      console.log(
        `| ${operation} | ${ratio(of(operation, allCores), of(operation, oneCore))} | ${ratio(of(operation, coreEach), of(operation, oneCore))} | ${ratio(of(operation, shared), of(operation, allCores))} |`,
      );
    }
    if (withOneDataset) {
      for (const placement of list) {
        const many = of(MANY_DATASETS_OPERATION, placement);
        const one = of(ONE_DATASET, placement);
        console.log(
          `${placement.processes} process(es), ${placement.label}: updates/s, ${MANY_DATASETS} datasets / 1 dataset = ${ratio(many, one)}`,
        );
      }
    }
    if (database.url && !QUICK) {
      const exclusive = await appendTail(database.url, 'exclusive');
      const sharedLock = await appendTail(database.url, 'shared');
      console.log(`\nThe catalog write's tail alone (BEGIN, append lock, one outbox INSERT, COMMIT), ${CONNECTIONS} connections:\n`);
      console.log('| append lock | appends/s |');
      console.log('|---|---:|');
      console.log(`| exclusive (before: every append in turn) | ${exclusive.toFixed(0)} |`);
      console.log(`| shared (now: readers wait, appends do not) | ${sharedLock.toFixed(0)} |`);
      console.log(`shared / exclusive = ${(sharedLock / exclusive).toFixed(2)}`);
    }
    const lost = rows.reduce((sum, row) => sum + row.lost, 0);
    console.log(`lost updates or miscounted events: ${lost}`);
    if (PROFILE) await profileWrites(dataDir, database.url);
    if (lost > 0) throw new Error(`writes: ${lost} lost updates or miscounted events`);
  } finally {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
