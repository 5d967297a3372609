import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CatalogEntry } from '@metastore/catalog';
import { createCatalogDatabase } from './catalog-database';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrateDatabase } from './migrate';

// Slower than the rest (PostgreSQL in WebAssembly: initdb, then the Prisma CLI): one file, one scenario.
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
