import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CatalogedStorage, type CatalogEntry, type CatalogStore } from '@metastore/catalog';
import { createCatalogDatabase, startEmbeddedPostgres, type CatalogDatabase } from '@metastore/catalog-postgres';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { DatasetService, serializeDescriptor } from '@metastore/datasets';
import { SAMPLE_AUTHORS, SAMPLE_DATASETS, sampleDescriptor, writeSampleHistory } from '@metastore/datasets/testing';
import { RevisionService } from '@metastore/revisions';
import { LocalGitStorage, parseLocalGitStorageConfig } from '@metastore/storage-local';
import { TagService } from '@metastore/tags';
import { runCli } from './cli';
import type { DependencyOverrides } from './dependencies';

// Real PostgreSQL (databaseForTests: DATABASE_URL's server, a container or embedded PGlite) and real git on disk.
jest.setTimeout(120_000);

const events = { source: 'urn:metastore:test', maxDescriptorBytes: 256 * 1024, descriptorUrl: () => 'http://localhost/unused' };
const { ada, pusher } = SAMPLE_AUTHORS;
const { rain, wind, snow, fog } = SAMPLE_DATASETS;
const descriptor = sampleDescriptor;

/** Captures what the CLI writes; `isTTY` false, so progress comes as plain lines. */
function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk), isTTY: false }, text: () => text };
}

async function cli(argv: string[], env: Record<string, string>, overrides: DependencyOverrides = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { env, stdout: stdout.stream, stderr: stderr.stream }, overrides);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Live rows (and their tags), keyed by dataset: what a rebuild must agree on with the incrementally kept catalog. */
async function liveContent(catalog: CatalogStore) {
  const content: Record<string, { entry: CatalogEntry; tags: unknown }> = {};
  let cursor: string | undefined;
  do {
    const page = await catalog.scan({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const entry of page.items)
      if (!entry.deleted) content[`${entry.id.owner}/${entry.id.name}`] = { entry, tags: await catalog.listTags(entry.id) };
    cursor = page.nextCursor;
  } while (cursor);
  return content;
}

describe('metastore catalog rebuild / sync, against PostgreSQL and git on disk', () => {
  let kept: TestDatabase;
  let fresh: TestDatabase;
  let keptDb: CatalogDatabase;
  let freshDb: CatalogDatabase;
  let dataDir: string;
  let storage: LocalGitStorage;
  const envFor = (database: TestDatabase) => ({
    DATABASE_URL: database.url,
    ...(database.poolSize ? { DATABASE_POOL_SIZE: String(database.poolSize) } : {}),
    METASTORE_DATA_DIR: dataDir,
  });
  /** `metastore catalog <command>` on `database`; the embedded fallback takes one connection only, so the CLI then shares the test's. */
  const catalogCommand = (argv: string[], database: TestDatabase) => {
    const connection = database === kept ? keptDb : freshDb;
    return cli(
      ['catalog', ...argv],
      envFor(database),
      database.kind === 'embedded'
        ? { database: { catalog: connection.catalog, outbox: connection.outbox, close: async () => undefined } }
        : {},
    );
  };
  const connect = (database: TestDatabase) =>
    createCatalogDatabase({ url: database.url, ...(database.poolSize ? { poolSize: database.poolSize } : {}) });

  beforeEach(async () => {
    [kept, fresh] = await Promise.all([databaseForTests(), databaseForTests()]);
    [keptDb, freshDb] = [connect(kept), connect(fresh)];
    dataDir = await mkdtemp(path.join(tmpdir(), 'metastore-cli-'));
    storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
  });
  afterEach(async () => {
    await Promise.allSettled([keptDb.close(), freshDb.close()]);
    await Promise.allSettled([kept.drop(), fresh.drop(), rm(dataDir, { recursive: true, force: true })]);
  });

  /** A realistic history through the API's write path (`writeSampleHistory`), keeping `keptDb` incrementally. */
  async function history() {
    const cataloged = new CatalogedStorage(storage, keptDb.catalog, { events });
    const datasets = new DatasetService({ storage: cataloged });
    const revisions = new RevisionService(cataloged, datasets);
    const tags = new TagService(cataloged);
    await writeSampleHistory({ datasets, revisions, tags });
    return { datasets, tags };
  }

  it('rebuilds into an empty database exactly the catalog the API kept incrementally, and announces nothing', async () => {
    const { datasets } = await history();
    await datasets.delete(wind, { author: ada });
    const incremental = await liveContent(keptDb.catalog);
    expect(Object.keys(incremental).sort()).toEqual(['acme/rain', 'polar/snow', 'zeta/fog']);

    const result = await catalogCommand(['rebuild'], fresh);
    expect(result).toMatchObject({ code: 0, stdout: 'catalog rebuilt: 3 datasets, 3 indexed, 0 marked deleted, 0 failures\n' });
    expect(result.stderr).toContain('catalog rebuild: 3/3 datasets (100%)');
    expect(await liveContent(freshDb.catalog)).toEqual(incremental);
    expect(await freshDb.outbox.feed(undefined, 10)).toEqual({ items: [] });

    // Rebuilding the kept catalog in place changes no live row and adds no event.
    const eventsBefore = (await keptDb.outbox.feed(undefined, 1000)).items.length;
    expect((await catalogCommand(['rebuild', '--json'], kept)).stdout).toBe(
      `${JSON.stringify({ command: 'catalog rebuild', datasets: 3, indexed: 3, deleted: 0, failures: 0 })}\n`,
    );
    expect(await liveContent(keptDb.catalog)).toEqual(incremental);
    expect((await keptDb.outbox.feed(undefined, 1000)).items).toHaveLength(eventsBefore);
  });

  it('marks rows of datasets deleted from storage directly as deleted, without an event', async () => {
    await history();
    await storage.deleteDataset(fog);
    const eventsBefore = (await keptDb.outbox.feed(undefined, 1000)).items.length;
    expect((await catalogCommand(['rebuild'], kept)).stdout).toBe('catalog rebuilt: 4 datasets, 3 indexed, 1 marked deleted, 0 failures\n');
    expect(await keptDb.catalog.getDataset(fog)).toMatchObject({ deleted: true });
    expect((await keptDb.outbox.feed(undefined, 1000)).items).toHaveLength(eventsBefore);
    await catalogCommand(['rebuild'], fresh);
    expect(await liveContent(freshDb.catalog)).toEqual(await liveContent(keptDb.catalog));
  });

  it('sync exits 1 as a process when a dataset cannot be read, after going on with the others; --full --json says so', async () => {
    await history();
    await storage.commit(fog, {
      parent: await storage.resolveRef(fog),
      changes: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Fog, pushed')) }],
      message: 'pushed',
      author: pusher,
    });
    // Then the repository's objects gone (a broken disk, a botched restore): the pushed history cannot be read.
    await rm(path.join(dataDir, storage.locationOf(fog), 'objects'), { recursive: true, force: true });
    // The embedded fallback serves one connection at a time: the test's is released while the process runs.
    await keptDb.close();
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bases/sync-worker/src/cli-main.ts', 'catalog', 'sync', '--full', '--json'],
        { cwd: path.resolve(__dirname, '../../..'), env: { PATH: process.env['PATH'], ...envFor(kept) } },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
      );
    });
    keptDb = connect(kept);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ command: 'catalog sync', datasets: 4, failures: 1, fullOwners: 3 });
    expect(result.stderr).toContain('could not bring the dataset into the catalog');
  });

  it('sync records what was pushed directly, with events; then the catalog equals a rebuild', async () => {
    await history();
    const head = await storage.resolveRef(rain);
    const pushed = await storage.commit(rain, {
      parent: head,
      changes: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Rain, pushed')) }],
      message: 'pushed',
      author: pusher,
    });
    await storage.createTag(fog, { name: 'pushed', target: await storage.resolveRef(fog), description: 'by hand', author: pusher });
    const eventsBefore = (await keptDb.outbox.feed(undefined, 1000)).items.length;

    const result = await catalogCommand(['sync'], kept);
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(
        /^catalog synced: 4 datasets, 0 created, 1 updated, 0 deleted, 1 tag changes, 0 failures \(3 owners in full, 0 from their watermark\) in \d+\.\d s\n$/,
      ),
    });
    const found = (await keptDb.outbox.feed(undefined, 1000)).items
      .slice(eventsBefore)
      .map(({ event }) => [event.type, event.subject, event.data.origin]);
    expect(found.sort()).toEqual([
      ['dataset.updated', 'acme/rain', 'sync'],
      ['tag.created', 'zeta/fog', 'sync'],
    ]);
    expect((await keptDb.catalog.getDataset(rain))?.headRevision).toBe(pushed.sha);

    await catalogCommand(['rebuild'], fresh);
    expect(await liveContent(freshDb.catalog)).toEqual(await liveContent(keptDb.catalog));
    expect(JSON.parse((await catalogCommand(['sync', '--json'], kept)).stdout)).toEqual({
      command: 'catalog sync',
      datasets: 4,
      changed: 0,
      created: 0,
      updated: 0,
      deleted: 0,
      tagChanges: 0,
      failures: 0,
      fullOwners: 3,
      incrementalOwners: 0,
      durationMs: expect.any(Number),
    });
  });
});

// A lost catalog comes back by rebuilding into a new database: the CLI applies the migrations first.
const serverUrl = process.env['DATABASE_URL'];
(serverUrl ? describe : describe.skip)('metastore catalog rebuild into a new, empty database (needs DATABASE_URL)', () => {
  const name = `metastore_cli_${randomBytes(6).toString('hex')}`;
  let dataDir: string;
  const admin = () => new pg.Client({ connectionString: serverUrl });
  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`).finally(() => client.end());
    dataDir = await mkdtemp(path.join(tmpdir(), 'metastore-cli-'));
  });
  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => client.end());
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the tables, then indexes every dataset', async () => {
    const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    const revision = await storage.createDataset(rain, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Rain')) }],
      message: 'pushed',
      author: pusher,
    });
    const url = new URL(serverUrl!);
    url.pathname = `/${name}`;
    const result = await cli(['catalog', 'rebuild'], { DATABASE_URL: url.toString(), METASTORE_DATA_DIR: dataDir });
    expect(result).toMatchObject({ code: 0, stdout: 'catalog rebuilt: 1 datasets, 1 indexed, 0 marked deleted, 0 failures\n' });
    const database = createCatalogDatabase({ url: url.toString() });
    try {
      expect(await database.catalog.getDataset(rain)).toMatchObject({ headRevision: revision.sha, title: 'Rain' });
    } finally {
      await database.close();
    }
  });
});

describe('metastore: usage and configuration', () => {
  it('prints help, and refuses unknown commands and options with exit code 2', async () => {
    const help = await cli(['--help'], {});
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('catalog rebuild');
    expect(help.stdout).toContain('catalog sync');
    expect(await cli(['catalog', 'rebuild', '--help'], {})).toMatchObject({ code: 0 });
    const unknown = await cli(['catalog', 'vacuum'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'catalog vacuum'");
    const option = await cli(['catalog', 'rebuild', '--force'], {});
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('--force');
    expect((await cli([], {})).code).toBe(2);
  });

  it('names every bad variable without echoing secrets', async () => {
    const bad = await cli(['catalog', 'sync'], {
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      STORAGE: 'github',
      GITHUB_TOKEN: 'ghp_secret',
      GITHUB_OWNERS: 'not/valid',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DATABASE_URL');
    expect(bad.stderr).toContain('GITHUB_OWNERS');
    expect(bad.stderr).not.toContain('hunter2');
    expect(bad.stderr).not.toContain('ghp_secret');
  });
});

// Users of the embedded default: without DATABASE_URL the CLI opens the API's embedded database (one process at a time).
describe('metastore catalog rebuild / sync without DATABASE_URL: the embedded database in <data dir>/catalog', () => {
  let dataDir: string;
  let embeddedDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'metastore-cli-embedded-'));
    embeddedDir = path.join(dataDir, 'catalog');
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('creates and migrates it, rebuilds and syncs into it, and leaves it closed for the next process', async () => {
    const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    const rainRevision = await storage.createDataset(rain, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Rain')) }],
      message: 'pushed',
      author: pusher,
    });
    const env = { METASTORE_DATA_DIR: dataDir };

    const rebuilt = await cli(['catalog', 'rebuild'], env);
    expect(rebuilt).toMatchObject({ code: 0, stdout: 'catalog rebuilt: 1 datasets, 1 indexed, 0 marked deleted, 0 failures\n' });
    expect(rebuilt.stderr).toContain(`DATABASE_URL is not set: using the embedded database in ${embeddedDir}`);

    const snowRevision = await storage.createDataset(snow, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor('Snow')) }],
      message: 'pushed',
      author: pusher,
    });
    expect(await cli(['catalog', 'sync'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^catalog synced: 2 datasets, 1 created, 0 updated, 0 deleted, 0 tag changes, 0 failures \(/),
    });

    const embedded = await startEmbeddedPostgres({ dataDir: embeddedDir });
    try {
      const database = createCatalogDatabase({ url: embedded.url, poolSize: 1 });
      try {
        expect(await database.catalog.getDataset(rain)).toMatchObject({ headRevision: rainRevision.sha, title: 'Rain' });
        expect(await database.catalog.getDataset(snow)).toMatchObject({ headRevision: snowRevision.sha, title: 'Snow' });
        // The rebuild announced nothing; the sync's event waits in the outbox for the API's relay.
        expect(
          (await database.outbox.feed(undefined, 10)).items.map(({ event }) => [event.type, event.subject, event.data.origin]),
        ).toEqual([['dataset.created', 'polar/snow', 'sync']]);
      } finally {
        await database.close();
      }
    } finally {
      await embedded.close();
    }
  });

  it('refuses, naming the process, while another process (a running API) has it open', async () => {
    const root = path.resolve(__dirname, '../../..');
    const embedded = await startEmbeddedPostgres({ dataDir: embeddedDir });
    try {
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'bases/sync-worker/src/cli-main.ts', 'catalog', 'rebuild'],
          { cwd: root, env: { PATH: process.env['PATH'], METASTORE_DATA_DIR: dataDir } },
          (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
        );
      });
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toContain(
        `metastore: catalog rebuild failed: another Metastore process (pid ${process.pid}) is using the embedded database in ${embeddedDir}: stop it, or set DATABASE_URL to use a PostgreSQL server`,
      );
    } finally {
      await embedded.close();
    }
  });
});
