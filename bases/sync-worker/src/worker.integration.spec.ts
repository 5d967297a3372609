import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import Redis from 'ioredis';
import { CatalogedStorage } from '@metastore/catalog';
import { createCatalogDatabase, type CatalogDatabase } from '@metastore/catalog-postgres';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { DatasetService, serializeDescriptor } from '@metastore/datasets';
import { SAMPLE_AUTHORS, SAMPLE_DATASETS, sampleDescriptor } from '@metastore/datasets/testing';
import type { StoredEvent } from '@metastore/events';
import { deleteStreamKeys, redisForTests, uniqueStreamKey, type TestRedis } from '@metastore/events-redis/testing';
import { loadWorkerConfig } from '@metastore/runtime';
import { LocalGitStorage, parseLocalGitStorageConfig } from '@metastore/storage-local';
import { TagService } from '@metastore/tags';
import { eventOptions, openDependencies, type CatalogJobDependencies } from './dependencies';
import { runOnce } from './worker';

// Real PostgreSQL (databaseForTests: DATABASE_URL's server, a container or embedded PGlite), real Redis, real git on disk.
jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../../..');
const { ada, pusher } = SAMPLE_AUTHORS;
const { rain, snow } = SAMPLE_DATASETS;
const descriptor = (title: string) => sampleDescriptor(title);

let database: TestDatabase;
let redis: TestRedis;
let dataDir: string;
let stream: string;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await redisForTests();
});
afterAll(async () => {
  await redis?.stop();
});
// Each test gets its own database and data directory: storage and catalog start empty together.
beforeEach(async () => {
  database = await databaseForTests();
  dataDir = await mkdtemp(path.join(tmpdir(), 'sync-worker-'));
  stream = uniqueStreamKey('test:sync-worker');
  env = {
    DATABASE_URL: database.url,
    ...(database.poolSize ? { DATABASE_POOL_SIZE: String(database.poolSize) } : {}),
    METASTORE_DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    METASTORE_EVENTS_STREAM: stream,
    METASTORE_PUBLIC_URL: 'https://metastore.example.org',
  };
});
afterEach(async () => {
  await deleteStreamKeys(redis.url, stream).catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
  await database.drop();
});

/** The API's side: writes through CatalogedStorage over the same database and data directory. */
function api(db: CatalogDatabase, storage: LocalGitStorage) {
  const cataloged = new CatalogedStorage(storage, db.catalog, { events: eventOptions(loadWorkerConfig(env)) });
  return { datasets: new DatasetService({ storage: cataloged }), tags: new TagService(cataloged) };
}

async function allEvents(db: CatalogDatabase): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await db.outbox.feed(after, 100);
    events.push(...page.items);
    if (page.items.length < 100) return events;
    after = page.items.at(-1)!.sequence;
  }
}

async function streamEntries(): Promise<{ type: string; subject: string; origin: string }[]> {
  const client = new Redis(redis.url);
  try {
    const entries = await client.xrange(stream, '-', '+');
    return entries.map(([, fields]) => {
      const event = JSON.parse(fields[fields.indexOf('event') + 1]!) as { type: string; subject: string; data: { origin: string } };
      return { type: event.type, subject: event.subject, origin: event.data.origin };
    });
  } finally {
    client.disconnect();
  }
}

/** Runs the worker's entry point as its own process (`SYNC_MODE=once` unless `extra` says otherwise). */
function runWorkerProcess(extra: Record<string, string> = {}, signalAfterMs?: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bases/sync-worker/src/main.ts'], {
      cwd: root,
      env: { ...process.env, ...env, LOG_LEVEL: 'info', ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
    if (signalAfterMs !== undefined) {
      // Wait for the first run to be under way (its start-up line), then ask it to stop.
      const waitForStart = () =>
        output.includes('sync worker started') ? setTimeout(() => child.kill('SIGTERM'), signalAfterMs) : setTimeout(waitForStart, 50);
      waitForStart();
    }
  });
}

describe('sync worker, against PostgreSQL, Redis and git on disk', () => {
  let db: CatalogDatabase;
  let storage: LocalGitStorage;
  let worker: CatalogJobDependencies;
  const connect = () => createCatalogDatabase({ url: database.url, ...(database.poolSize ? { poolSize: database.poolSize } : {}) });
  beforeEach(async () => {
    db = connect();
    storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    // The embedded fallback serves one connection: the in-process worker then shares the test's.
    const shared =
      database.kind === 'embedded' ? { database: { catalog: db.catalog, outbox: db.outbox, close: async () => undefined } } : {};
    worker = await openDependencies(loadWorkerConfig(env), pino({ level: 'silent' }), shared);
  });

  /** Runs the worker process with the test's connection released meanwhile (the embedded database takes one at a time). */
  async function asProcess(extra: Record<string, string> = {}, signalAfterMs?: number) {
    await db.close();
    try {
      return await runWorkerProcess(extra, signalAfterMs);
    } finally {
      db = connect();
    }
  }
  afterEach(async () => {
    await Promise.all([db.close(), worker.close()]);
  });

  it('picks up a dataset pushed to storage directly in one run: row, event in the outbox, published to Redis', async () => {
    const { datasets } = api(db, storage);
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    const before = (await allEvents(db)).length;

    // Behind the API's back: a new dataset with a tag, and a commit on an existing one.
    const snowRevision = await storage.createDataset(snow, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Snow')) }],
      message: 'pushed',
      author: pusher,
    });
    await storage.createTag(snow, { name: 'v1', target: snowRevision.sha, description: 'first', author: pusher });
    const pushed = await storage.commit(rain, {
      parent: created.revision.sha,
      changes: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Rain, pushed')) }],
      message: 'pushed',
      author: pusher,
    });

    const result = await runOnce(worker);
    expect(result).toMatchObject({ ok: true, summary: { datasets: 2, created: 1, updated: 1, deleted: 0, tagChanges: 1, failures: 0 } });

    // Datasets are reconciled concurrently: one dataset's events keep their order, different datasets' may interleave.
    const found = (await allEvents(db)).slice(before);
    const about = (subject: string) => found.filter(({ event }) => event.subject === subject).map(({ event }) => event);
    expect(found).toHaveLength(3);
    expect(about('acme/rain').map((event) => [event.type, event.data.origin, event.data.newRevision])).toEqual([
      ['dataset.updated', 'sync', pushed.sha],
    ]);
    expect(about('polar/snow').map((event) => [event.type, event.data.origin, event.data.newRevision])).toEqual([
      ['dataset.created', 'sync', snowRevision.sha],
      ['tag.created', 'sync', snowRevision.sha],
    ]);
    expect(about('acme/rain')[0]!.data).toMatchObject({ oldRevision: created.revision.sha, changes: { fields: ['title'] } });
    expect(about('polar/snow')[0]!.source).toBe('https://metastore.example.org');
    expect(await db.catalog.getDataset(snow)).toMatchObject({ headRevision: snowRevision.sha, title: 'Snow', deleted: false });
    expect(await db.catalog.getDataset(rain)).toMatchObject({ headRevision: pushed.sha, title: 'Rain, pushed' });

    // Every event, the API's and the worker's, went out to the stream, in order.
    expect(result.published).toBe(before + 3);
    expect(await db.outbox.pendingCount()).toBe(0);
    expect((await streamEntries()).slice(before)).toEqual(
      found.map(({ event }) => ({ type: event.type, subject: event.subject, origin: 'sync' })),
    );

    // A second run finds nothing and publishes nothing.
    expect(await runOnce(worker)).toMatchObject({ ok: true, published: 0, summary: { created: 0, updated: 0, deleted: 0, tagChanges: 0 } });
    expect(await allEvents(db)).toHaveLength(before + 3);
  });

  it('records a dataset deleted from storage directly once, without an author', async () => {
    const { datasets, tags } = api(db, storage);
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    await tags.create(rain, { name: 'v1', author: ada });
    await storage.deleteDataset(rain);
    const before = (await allEvents(db)).length;
    expect((await runOnce(worker)).summary).toMatchObject({ deleted: 1, tagChanges: 0 });
    const found = (await allEvents(db)).slice(before);
    expect(found.map(({ event }) => [event.type, event.data.oldRevision, event.data.author])).toEqual([
      ['dataset.deleted', created.revision.sha, null],
    ]);
    expect(await db.catalog.getDataset(rain)).toMatchObject({ deleted: true });
    expect(await db.catalog.listTags(rain)).toEqual([]);
    expect((await runOnce(worker)).summary.deleted).toBe(0);
  });

  it('catalogues descriptors holding U+0000 pushed to git (PostgreSQL cannot store it) and goes on with the rest of the run', async () => {
    const escaped = '{"name":"fog","title":"Fog\\u0000bank","resources":[{"name":"r\\u0000","path":"r.csv"}]}';
    const fog = await storage.createDataset(
      { owner: 'zeta', name: 'fog' },
      { files: [{ path: 'datapackage.json', content: escaped }], message: 'escaped NUL', author: pusher },
    );
    const raw = await storage.createDataset(
      { owner: 'zeta', name: 'raw' },
      { files: [{ path: 'datapackage.json', content: 'not json \u0000 at all' }], message: 'raw NUL', author: pusher },
    );
    const snowRevision = await storage.createDataset(snow, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Snow')) }],
      message: 'pushed',
      author: pusher,
    });

    const result = await runOnce(worker);
    expect(result).toMatchObject({ ok: true, summary: { datasets: 3, created: 3, failures: 0 } });
    expect(await db.catalog.getDataset({ owner: 'zeta', name: 'fog' })).toMatchObject({
      headRevision: fog.sha,
      title: 'Fog\uFFFDbank',
      resourceCount: 1,
    });
    expect(await db.catalog.getDataset({ owner: 'zeta', name: 'raw' })).toMatchObject({ headRevision: raw.sha, resourceCount: 0 });
    expect(await db.catalog.getDataset(snow)).toMatchObject({ headRevision: snowRevision.sha });
    // The escaped form is valid text and stays cached byte for byte; the raw byte cannot be, so reads of it go to git.
    expect(await db.catalog.descriptorAt({ owner: 'zeta', name: 'fog' }, fog.sha)).toBe(escaped);
    expect(await db.catalog.descriptorAt({ owner: 'zeta', name: 'raw' }, raw.sha)).toBeUndefined();
    const events = (await allEvents(db)).map(({ event }) => event);
    // Linked (the descriptor is JSON, but no event carries U+0000), or marked invalid (not JSON at all).
    const zeta = events
      .filter((event) => event.subject.startsWith('zeta/'))
      .map((event) => [event.subject, event.type, event.data.descriptorTruncated, event.data.descriptorInvalid]);
    expect(zeta.sort()).toEqual([
      ['zeta/fog', 'dataset.created', true, undefined],
      ['zeta/raw', 'dataset.created', undefined, true],
    ]);
    expect(events.find((event) => event.subject === 'zeta/fog')!.data.changes?.resources.added).toEqual(['r\uFFFD']);
    expect(result.published).toBe(3);
    expect(await runOnce(worker)).toMatchObject({ ok: true, summary: { created: 0, updated: 0, failures: 0 } });
  });

  it('announces a force-push as one update marked historyRewritten, and nothing more on the next run', async () => {
    const { datasets } = api(db, storage);
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    const patched = await datasets.patch(rain, { title: 'Rain, patched' }, { author: ada });
    // On the git host: a new commit on the first one, and the branch forced onto it (the patched commit stays in the object store).
    const gitDir = path.join(dataDir, storage.locationOf(rain));
    const git = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          'git',
          ['--git-dir', gitDir, ...args],
          {
            env: {
              ...process.env,
              GIT_AUTHOR_NAME: pusher.name,
              GIT_AUTHOR_EMAIL: pusher.email,
              GIT_COMMITTER_NAME: pusher.name,
              GIT_COMMITTER_EMAIL: pusher.email,
            },
          },
          (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
        ),
      );
    const branch = await git('symbolic-ref', 'HEAD');
    const rewritten = await git('commit-tree', `${created.revision.sha}^{tree}`, '-p', created.revision.sha, '-m', 'Start again');
    await git('update-ref', branch, rewritten);
    const before = (await allEvents(db)).length;

    expect((await runOnce(worker)).summary).toMatchObject({ updated: 1, failures: 0 });
    const found = (await allEvents(db)).slice(before).map(({ event }) => event);
    expect(found.map((event) => [event.type, event.data.oldRevision, event.data.newRevision, event.data.historyRewritten])).toEqual([
      ['dataset.updated', patched.revision.sha, rewritten, true],
    ]);
    expect(found[0]!.data).toMatchObject({ message: 'Start again', changes: { fields: ['title'] }, descriptor: descriptor('Rain') });
    expect(await db.catalog.getDataset(rain)).toMatchObject({
      headRevision: rewritten,
      title: 'Rain',
      createdAt: new Date(created.revision.timestamp),
    });
    expect((await runOnce(worker)).summary).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0 });
  });

  it('runs as a process: SYNC_MODE=once exits 0 after reconciling and publishing', async () => {
    await storage.createDataset(snow, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Snow')) }],
      message: 'pushed',
      author: pusher,
    });
    const before = (await allEvents(db)).length;
    const { code, output } = await asProcess();
    expect({ code, output }).toMatchObject({ code: 0 });
    const found = (await allEvents(db)).slice(before);
    expect(found.map(({ event }) => [event.type, event.subject])).toEqual([['dataset.created', 'polar/snow']]);
    expect(await db.outbox.pendingCount()).toBe(0);
    expect((await streamEntries()).map((entry) => entry.subject)).toContain('polar/snow');
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; ok?: boolean; published?: number });
    expect(lines.at(-1)).toMatchObject({ msg: 'sync run finished', ok: true });
  });

  it('runs as a process: SYNC_MODE=once exits 1 when a dataset failed, its summary says so, and the metrics file counts the failed run', async () => {
    const hail = { owner: 'polar', name: 'hail' };
    await storage.createDataset(hail, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Hail')) }],
      message: 'pushed',
      author: pusher,
    });
    // Its objects gone (a broken disk, a botched restore): the head cannot be read, the run goes on with the others.
    const repository = path.join(dataDir, storage.locationOf(hail));
    await rm(path.join(repository, 'objects'), { recursive: true, force: true });
    const metricsFile = path.join(dataDir, 'metastore-sync.prom');
    try {
      const { code, output } = await asProcess({ SYNC_METRICS_FILE: metricsFile });
      expect({ code }).toEqual({ code: 1 });
      const finished = output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['msg'] === 'sync run finished');
      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({ ok: false, failures: 1, checked: expect.any(Number), durationMs: expect.any(Number) });
      const metrics = await readFile(metricsFile, 'utf8');
      expect(metrics).toContain('metastore_sync_runs_total{outcome="failed"} 1');
      expect(metrics).toContain('metastore_sync_runs_total{outcome="ok"} 0');
    } finally {
      await rm(repository, { recursive: true, force: true });
    }
  });

  it('runs as a process: SYNC_MODE=loop stops gracefully on SIGTERM with exit code 0', async () => {
    const { code, output } = await asProcess({ SYNC_MODE: 'loop', SYNC_INTERVAL_SECONDS: '1' }, 1500);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain('stopping after the datasets in flight');
    expect(output.match(/"msg":"sync run finished"/g)?.length).toBeGreaterThanOrEqual(1);
  });

  it('exits 2 on a configuration error, naming the variable', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bases/sync-worker/src/main.ts'],
        { cwd: root, env: { PATH: process.env['PATH'], SYNC_MODE: 'sometimes' } },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('SYNC_MODE');
  });
});
