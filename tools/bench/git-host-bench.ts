/**
 * What the GitHub and GitLab sections of `npm run bench` share: one list of storage operations run through a real adapter
 * against a git-host test server that adds latency to every request, the requests of each counted at the server, and
 * the tables (one host's, and both side by side).
 */
import { DatasetService } from '@metastore/datasets';
import type { RecordedRequest } from '@metastore/git-host-test-server';
import type { DatasetId, DatasetStorage } from '@metastore/storage';
import { TagService } from '@metastore/tags';
import { percentile } from './harness';

/** Milliseconds the test servers add to every request, so round trips dominate as they do against a real host. */
export const LATENCY_MS = 50;

const author = { name: 'Bench', email: 'bench@example.com' };

const descriptor = (title: string) => ({
  $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
  name: 'bench',
  title,
  licenses: [{ name: 'CC0-1.0' }],
  resources: Array.from({ length: 5 }, (_, index) => ({
    name: `part-${index}`,
    path: `data/part-${index}.csv`,
    bytes: 1000 + index,
    hash: `sha256:${String(index).repeat(64)}`,
  })),
});

/** A host's test server as the bench sees it: the requests it answered since the last reset. */
export interface CountingServer {
  readonly requests: readonly RecordedRequest[];
  resetRequests(): void;
}

/** A host under measurement. */
export interface BenchedHost {
  readonly server: CountingServer;
  /** A new adapter on the server: nothing cached, no owner known. */
  storage(): DatasetStorage;
  /** Runs of each operation. */
  readonly iterations: number;
}

/** One operation's figures, averaged over the runs (requests) or over their latencies (p50, max). */
export interface HostRow {
  readonly operation: string;
  /** Requests answered, 304s included. */
  readonly requests: number;
  /** Requests the host counts against its rate limit (GitHub does not count a 304, GitLab does). */
  readonly counted: number;
  /** Of the requests, revalidations answered 304. */
  readonly notModified: number;
  readonly p50: number;
  readonly max: number;
}

async function measure<T>(
  host: BenchedHost,
  operation: string,
  run: (iteration: number, prepared: T) => Promise<unknown>,
  prepare: (iteration: number) => Promise<T> | T = () => undefined as T,
): Promise<HostRow> {
  const latencies: number[] = [];
  const totals = { requests: 0, counted: 0, notModified: 0 };
  for (let iteration = 0; iteration < host.iterations; iteration += 1) {
    const prepared = await prepare(iteration);
    host.server.resetRequests();
    const started = performance.now();
    await run(iteration, prepared);
    latencies.push(performance.now() - started);
    const { requests } = host.server;
    totals.requests += requests.length;
    totals.counted += requests.filter((request) => request.rateLimited).length;
    totals.notModified += requests.filter((request) => request.status === 304).length;
  }
  return {
    operation,
    requests: totals.requests / host.iterations,
    counted: totals.counted / host.iterations,
    notModified: totals.notModified / host.iterations,
    p50: percentile(latencies, 0.5),
    max: Math.max(...latencies),
  };
}

/**
 * Runs every storage operation `host.iterations` times through `DatasetService`, `TagService` or the adapter itself and
 * returns one row each, in the same order and with the same names for every host. "Cold" is a new adapter per run;
 * "cached" is an adapter that has read the same thing before.
 */
export async function measureStorageOperations(host: BenchedHost, owner: string): Promise<HostRow[]> {
  const storage = host.storage();
  const datasets = new DatasetService({ storage });
  const tags = new TagService(storage);
  const cold = () => new DatasetService({ storage: host.storage() });
  const id: DatasetId = { owner, name: 'subject' };
  const created = await datasets.create(id, descriptor('v0'), { author });
  const sha = created.revision.sha;
  await tags.create(id, { name: 'v0', ref: sha, description: 'bench', author });
  const rows: HostRow[] = [];
  const add = async <T>(
    operation: string,
    run: (iteration: number, prepared: T) => Promise<unknown>,
    prepare?: (iteration: number) => Promise<T> | T,
  ) => {
    rows.push(await measure(host, operation, run, prepare));
  };

  await add('create, owner known (7 files: descriptor, 5 LFS pointers, .gitattributes)', (i) =>
    datasets.create({ owner, name: `created-${i}` }, descriptor('v0'), { author }),
  );
  await add('create, new owner', (i) => datasets.create({ owner: `${owner}-new-${i}`, name: 'first' }, descriptor('v0'), { author }));
  await add('update (PATCH, unconditional)', (i) => datasets.patch(id, { title: `u${i}` }, { author }));
  await add(
    'update (PATCH with If-Match: known head)',
    (i, head: string) => datasets.patch(id, { title: `c${i}` }, { author, ifMatch: head }),
    () => datasets.resolve(id),
  );
  await add('read at head, cold adapter', (_, reader: DatasetService) => reader.read(id), cold);
  await datasets.read(id);
  await add('read at head, cached', () => datasets.read(id));
  await add('read at sha, cold adapter', (_, reader: DatasetService) => reader.read(id, sha), cold);
  await datasets.read(id, sha);
  await add('read at sha, cached', () => datasets.read(id, sha));
  await add('read at tag, cold adapter', (_, reader: DatasetService) => reader.read(id, 'v0'), cold);
  await datasets.read(id, 'v0');
  await add('read at tag, cached', () => datasets.read(id, 'v0'));
  await add('list revisions (one page of 20)', () => storage.listRevisions(id, { limit: 20 }));
  // The history is the create and two updates per run: 1 + 2 × iterations revisions.
  const revisions = 1 + 2 * host.iterations;
  await add(`list revisions (all ${revisions} in pages of 5: ${Math.ceil(revisions / 5)} pages)`, async () => {
    let cursor: string | undefined;
    do cursor = (await storage.listRevisions(id, { limit: 5, ...(cursor ? { cursor } : {}) })).nextCursor;
    while (cursor);
  });
  await add('tag create (at a sha)', (i) => tags.create(id, { name: `t${i}`, ref: sha, description: 'bench', author }));
  await add(`tag list (${host.iterations + 1} tags, cached)`, () => tags.list(id, { limit: 100 }));
  await add(`tag list (${host.iterations + 1} tags, cold adapter)`, () => new TagService(host.storage()).list(id, { limit: 100 }));
  await add(
    'delete',
    (_, doomed: DatasetId) => datasets.delete(doomed),
    async (i) => {
      const doomed = { owner, name: `deleted-${i}` };
      await datasets.create(doomed, descriptor('v0'), { author });
      return doomed;
    },
  );
  return rows;
}

const figure = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/** One host's table: requests counted against its rate limit, 304 revalidations, latency. */
export function printHostTable(rows: readonly HostRow[], notModifiedHeading: string): void {
  console.log(`| operation | counted requests | ${notModifiedHeading} | p50 ms | max ms |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.operation} | ${figure(row.counted)} | ${figure(row.notModified)} | ${row.p50.toFixed(0)} | ${row.max.toFixed(0)} |`,
    );
  }
}

/** Two hosts' rows side by side, matched by operation: requests (304s among them), those counted, p50 latency. */
export function printSideBySide(hosts: readonly { name: string; rows: readonly HostRow[] }[]): void {
  const requests = (row: HostRow | undefined) =>
    row ? `${figure(row.requests)}${row.notModified > 0 ? ` (${figure(row.notModified)} × 304)` : ''}` : '–';
  console.log(
    `| operation | ${hosts.map(({ name }) => `${name} requests | ${name} counted | ${name} p50 ms`).join(' | ')} |\n` +
      `|---|${hosts.map(() => '---:|---:|---:|').join('')}`,
  );
  for (const { operation } of hosts[0]?.rows ?? []) {
    const cells = hosts.map(({ rows }) => {
      const row = rows.find((candidate) => candidate.operation === operation);
      return `${requests(row)} | ${row ? figure(row.counted) : '–'} | ${row ? row.p50.toFixed(0) : '–'}`;
    });
    console.log(`| ${operation} | ${cells.join(' | ')} |`);
  }
}
