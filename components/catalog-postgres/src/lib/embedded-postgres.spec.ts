import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CatalogEntry } from '@metastore/catalog';
import { createCatalogDatabase } from './catalog-database';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrateDatabase } from './migrate';

// Slower than the rest (PostgreSQL in WebAssembly: initdb, then the Prisma CLI): one file, few scenarios.
jest.setTimeout(120_000);

const entry: CatalogEntry = {
  id: { owner: 'acme', name: 'rainfall' },
  backend: 'local',
  location: 'acme/rainfall.git',
  headRevision: 'a'.repeat(40),
  title: 'Daily rainfall totals',
  description: 'Gauge readings.',
  keywords: ['hydrology', 'rain'],
  licenses: ['CC-BY-4.0'],
  resourceCount: 3,
  createdAt: new Date('2024-01-01T00:00:00.000Z'),
  updatedAt: new Date('2024-02-01T00:00:00.000Z'),
  deleted: false,
};

describe('startEmbeddedPostgres', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-embedded-spec-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('serves migrations, the store and the outbox, and keeps the data across restarts', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(first.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      await migrateDatabase(first.url);
      const db = createCatalogDatabase({ url: first.url, poolSize: 1 });
      try {
        await db.catalog.checkReady();
        await db.catalog.apply({
          dataset: entry.id,
          entry,
          descriptors: [{ revision: entry.headRevision, source: '{"name":"rainfall"}' }],
          events: [
            {
              specversion: '1.0',
              id: randomUUID(),
              source: 'urn:metastore:test',
              type: 'dataset.created',
              subject: 'acme/rainfall',
              time: '2024-02-01T00:00:00.000Z',
              datacontenttype: 'application/json',
              data: {
                dataset: { id: 'acme/rainfall', owner: 'acme', name: 'rainfall', backend: 'local', location: 'acme/rainfall.git' },
                origin: 'api',
                oldRevision: null,
                newRevision: entry.headRevision,
                author: null,
              },
            },
          ],
        });
        expect((await db.catalog.search({ q: 'rainfall', limit: 10 })).items).toEqual([entry]);
        expect((await db.catalog.search({ keyword: 'rain', limit: 10 })).items).toEqual([entry]);
        expect(await db.outbox.relayBatch(10, async () => undefined)).toBe(1);
      } finally {
        await db.close();
      }
    } finally {
      await first.close();
    }

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      await migrateDatabase(second.url); // nothing pending: a no-op
      const db = createCatalogDatabase({ url: second.url, poolSize: 1 });
      try {
        expect(await db.catalog.getDataset(entry.id)).toEqual(entry);
        expect(await db.catalog.descriptorAt(entry.id, entry.headRevision)).toBe('{"name":"rainfall"}');
        expect(await db.outbox.pendingCount()).toBe(0);
        expect((await db.outbox.feed(undefined, 10)).items).toHaveLength(1);
      } finally {
        await db.close();
      }
    } finally {
      await second.close();
    }
  });
});

describe('startEmbeddedPostgres: one process per data directory', () => {
  const root = path.resolve(__dirname, '../../../..');
  let dataDir: string;
  let lockFile: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-embedded-lock-'));
    lockFile = path.join(dataDir, 'metastore.lock');
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  /** Starts (and closes again) the embedded database on `dataDir` in another process: exit 0, or 3 with the error. */
  function startInAnotherProcess(): Promise<{ code: number; output: string }> {
    const script = `require('./components/catalog-postgres/src/lib/embedded-postgres.ts').startEmbeddedPostgres({ dataDir: process.argv[1] }).then(
      (db) => db.close(),
      (error) => { console.error(error.code, error.message); process.exitCode = 3; })`;
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', '-e', script, dataDir], { cwd: root }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code) : 0, output: `${stdout}${stderr}` }),
      );
    });
  }

  /** The pid of a process that has exited. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid!;
  }

  it('refuses a second process while the first has it open, names the first, and lets others in once it is closed', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
      const second = await startInAnotherProcess();
      expect(second.code).toBe(3);
      expect(second.output).toContain(
        `STORAGE_UNAVAILABLE another Metastore process (pid ${process.pid}) is using the embedded database in ${dataDir}: stop it, or set DATABASE_URL to use a PostgreSQL server`,
      );
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
        message: expect.stringContaining('already has the embedded database'),
      });
      expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await first.close();
    }
    await expect(stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await startInAnotherProcess()).toEqual({ code: 0, output: '' });
    await expect(stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock left by a process that is gone (or by an earlier process with this pid, as in a restarted container)', async () => {
    for (const stale of [await deadPid(), process.pid]) {
      await writeFile(lockFile, `${stale}\n`);
      const db = await startEmbeddedPostgres({ dataDir });
      try {
        expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
      } finally {
        await db.close();
      }
      await expect(stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });
});
