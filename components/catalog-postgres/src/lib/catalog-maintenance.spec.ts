import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { CatalogEntry } from '@metastore/catalog';
import { databaseForTests, seedCatalog, type TestDatabase } from '../testing';
import { createCatalogDatabase, type CatalogDatabase } from './catalog-database';
import { isStale } from './catalog-maintenance';

describe('isStale', () => {
  const state = { table: 't', reltuples: 1000, relpages: 100, pages: 100, hasStatistics: true };
  it.each([
    ['an empty table', { ...state, reltuples: -1, relpages: 0, pages: 0, hasStatistics: false }, false],
    ['a table never analysed nor vacuumed', { ...state, reltuples: -1, relpages: 0 }, true],
    ['a table whose size an index build recorded, without column statistics', { ...state, hasStatistics: false }, true],
    ['a table a fifth larger', { ...state, pages: 121 }, true],
    ['a table a fifth smaller', { ...state, pages: 79 }, true],
    ['a table that grew a little', { ...state, pages: 119 }, false],
    ['a small table that grew by a few pages', { ...state, relpages: 2, pages: 9 }, false],
  ])('%s: %s', (_label, table, expected) => {
    expect(isStale(table)).toBe(expected);
  });
});

function entryFor(owner: string, name: string, keywords: string[]): CatalogEntry {
  return {
    id: { owner, name },
    backend: 'local',
    location: `${owner}/${name}.git`,
    headRevision: randomBytes(20).toString('hex'),
    keywords,
    licenses: [],
    resourceCount: 1,
    createdAt: new Date('2024-01-01T00:00:00.000Z'),
    updatedAt: new Date('2024-01-02T00:00:00.000Z'),
    deleted: false,
  };
}

/**
 * Runs on the database `databaseForTests` gives: a server (autovacuum runs there) with DATABASE_URL, else the embedded
 * PGlite (a single-user backend: no autovacuum). What the maintenance does differs, and is asserted, by kind.
 */
describe('CatalogMaintenance', () => {
  let database: TestDatabase;
  let db: CatalogDatabase | undefined;

  beforeAll(async () => {
    database = await databaseForTests();
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  }, 60_000);

  /** Runs SQL on a connection of its own, the store's pool closed (the embedded database takes one connection at a time). */
  async function sql<Row extends pg.QueryResultRow>(text: string): Promise<Row[]> {
    await db?.close();
    db = undefined;
    for (let attempt = 1; ; attempt++) {
      const client = new pg.Client({ connectionString: database.url });
      try {
        await client.connect();
        try {
          return (await client.query<Row>(text)).rows;
        } finally {
          await client.end();
        }
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  function open(options: { maintenanceMinChanges?: number } = {}): CatalogDatabase {
    db = createCatalogDatabase({ url: database.url, poolSize: database.poolSize, ...options });
    return db;
  }

  async function statistics(): Promise<Record<string, { reltuples: number; hasStatistics: boolean }>> {
    const rows = await sql<{ table: string; reltuples: number; hasStatistics: boolean }>(
      `SELECT c.relname AS table, c.reltuples::float8 AS reltuples,
              EXISTS (SELECT 1 FROM pg_stats s WHERE s.tablename = c.relname) AS "hasStatistics"
       FROM pg_class c WHERE c.relname IN ('datasets', 'dataset_keywords')`,
    );
    return Object.fromEntries(rows.map((row) => [row.table, row]));
  }

  /** Whether autovacuum runs: never in the embedded database (a single-user backend), on a server as configured. */
  async function autovacuumRuns(): Promise<boolean> {
    if (database.kind === 'embedded') return false;
    return (await sql<{ autovacuum: string }>('SHOW autovacuum'))[0]?.autovacuum === 'on';
  }

  it('knows whether autovacuum runs: never in the embedded (single-user) database, on a server as configured', async () => {
    const expected = !(await autovacuumRuns());
    const { catalog } = open();
    expect(await catalog.maintenance.withoutAutovacuum()).toBe(expected);
  });

  it('gathers statistics at start for tables that have none or changed much, such as seeded rows', async () => {
    await db?.close();
    db = undefined;
    expect(await seedCatalog(database.url, 3000, { prefix: `mt${randomBytes(4).toString('hex')}` })).toBe(3000);
    const analyses = async () =>
      Number(
        (await sql<{ count: string }>(`SELECT analyze_count AS count FROM pg_stat_user_tables WHERE relname = 'datasets'`))[0]?.count ?? 0,
      );
    const before = await analyses();
    const { catalog } = open();
    await catalog.maintenance.idle;
    expect(catalog.maintenance.lastFailure).toBeUndefined();
    const states = Object.fromEntries((await catalog.maintenance.tableStates()).map((state) => [state.table, state]));
    expect(states['datasets']?.reltuples).toBeGreaterThanOrEqual(3000);
    const gathered = await statistics();
    expect(gathered['datasets']).toEqual({ table: 'datasets', reltuples: expect.any(Number), hasStatistics: true });
    expect(gathered['dataset_keywords']?.hasStatistics).toBe(true);
    // The seeder writes three or four keywords a dataset.
    expect(gathered['dataset_keywords']?.reltuples).toBeGreaterThanOrEqual(9000);
    // Analysed by the store, not (only) by autovacuum, whose runs are counted apart.
    expect(await analyses()).toBeGreaterThan(before);
  });

  it('without autovacuum, vacuums and analyses after enough changes; with autovacuum, leaves it to autovacuum', async () => {
    const autovacuum = await autovacuumRuns();
    const vacuums = async () =>
      Number(
        (await sql<{ count: string }>(`SELECT vacuum_count AS count FROM pg_stat_user_tables WHERE relname = 'datasets'`))[0]?.count ?? 0,
      );
    const before = await vacuums();
    const { catalog } = open({ maintenanceMinChanges: 5 });
    await catalog.maintenance.idle;
    const owner = `mt${randomBytes(4).toString('hex')}`;
    // Well under a tenth of the 3000 seeded rows: the threshold is max(5, 300).
    for (let index = 0; index < 10; index++) {
      await catalog.apply({ dataset: { owner, name: `d${index}` }, entry: entryFor(owner, `d${index}`, ['maintained']) });
    }
    await catalog.maintenance.idle;
    const afterFew = await vacuums();
    const reopened = open({ maintenanceMinChanges: 5 });
    await reopened.catalog.maintenance.idle;
    for (let index = 0; index < 320; index++) {
      await reopened.catalog.apply({ dataset: { owner, name: `e${index}` }, entry: entryFor(owner, `e${index}`, ['maintained']) });
    }
    await reopened.catalog.maintenance.idle;
    expect(reopened.catalog.maintenance.lastFailure).toBeUndefined();
    const afterMany = await vacuums();
    if (!autovacuum) {
      expect(afterFew).toBe(before);
      expect(afterMany).toBeGreaterThan(afterFew);
    } else {
      // Manual vacuums only (autovacuum's are counted apart): the store ran none.
      expect(afterMany).toBe(before);
    }
  }, 120_000);
});
