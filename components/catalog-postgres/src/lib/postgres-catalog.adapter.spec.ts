import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { CatalogEntry } from '@metastore/catalog';
import { describeCatalogStoreContract } from '@metastore/catalog/testing';
import { StorageUnavailableError } from '@metastore/errors';
import type { MetastoreEvent } from '@metastore/events';
import { databaseForTests, seedCatalog, type TestDatabase } from '../testing';
import { createCatalogDatabase, type CatalogDatabase } from './catalog-database';
import { DEFAULT_PRISMA_CONFIG_PATH } from './migrate';

const MIGRATIONS = path.join(path.dirname(DEFAULT_PRISMA_CONFIG_PATH), 'prisma', 'migrations');

describeCatalogStoreContract('PostgreSQL', async () => {
  const database = await databaseForTests();
  const { catalog, close } = createCatalogDatabase({ url: database.url, poolSize: database.poolSize });
  return {
    store: catalog,
    ranksByRelevance: true,
    maxRankedMatches: 1000,
    teardown: async () => {
      await close();
      await database.drop();
    },
  };
});

// The same contract with a tiny ranking limit: text searches of more than three matches go in (owner, name) order.
describeCatalogStoreContract('PostgreSQL, ranking at most 3 matches', async () => {
  const database = await databaseForTests();
  const { catalog, close } = createCatalogDatabase({ url: database.url, poolSize: database.poolSize, maxRankedMatches: 3 });
  return {
    store: catalog,
    ranksByRelevance: true,
    maxRankedMatches: 3,
    teardown: async () => {
      await close();
      await database.drop();
    },
  };
});

function uniqueOwner(): string {
  return `pg${randomBytes(5).toString('hex')}`;
}

function entryFor(owner: string, name: string, overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id: { owner, name },
    backend: 'local',
    location: `${owner}/${name}.git`,
    headRevision: randomBytes(20).toString('hex'),
    keywords: [],
    licenses: [],
    resourceCount: 1,
    createdAt: new Date('2024-01-01T00:00:00.000Z'),
    updatedAt: new Date('2024-01-02T00:00:00.000Z'),
    deleted: false,
    ...overrides,
  };
}

function eventFor(owner: string, name: string, id: string = randomUUID()): MetastoreEvent {
  return {
    specversion: '1.0',
    id,
    source: 'urn:metastore:test',
    type: 'dataset.updated',
    subject: `${owner}/${name}`,
    time: '2024-01-02T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      dataset: { id: `${owner}/${name}`, owner, name, backend: 'local', location: `${owner}/${name}.git` },
      origin: 'api',
      oldRevision: null,
      newRevision: 'b'.repeat(40),
      author: null,
    },
  };
}

describe('PostgresCatalogStore', () => {
  let database: TestDatabase;
  let db: CatalogDatabase;

  // A first test database may need a migrated template made: more than Jest's default five seconds.
  beforeAll(async () => {
    database = await databaseForTests();
    db = createCatalogDatabase({ url: database.url, poolSize: database.poolSize });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  }, 60_000);

  async function names(query: Parameters<CatalogDatabase['catalog']['search']>[0]): Promise<string[]> {
    return (await db.catalog.search(query)).items.map((entry) => entry.id.name);
  }

  it('stems words, matches phrases and honours exclusions (websearch syntax, english configuration)', async () => {
    const owner = uniqueOwner();
    for (const entry of [
      entryFor(owner, 'temperatures', { title: 'Daily temperatures', description: 'Air quality and heat.' }),
      entryFor(owner, 'quality', { title: 'Water quality of the air intake', keywords: ['ozone'] }),
      entryFor(owner, 'rivers', { title: 'River discharge', keywords: ['hydrology'] }),
    ]) {
      await db.catalog.apply({ dataset: entry.id, entry });
    }
    expect(await names({ owner, q: 'temperature', limit: 10 })).toEqual(['temperatures']);
    expect(await names({ owner, q: 'rivers', limit: 10 })).toEqual(['rivers']);
    expect(await names({ owner, q: '"air quality"', limit: 10 })).toEqual(['temperatures']);
    expect((await names({ owner, q: 'air quality', limit: 10 })).sort()).toEqual(['quality', 'temperatures']);
    expect(await names({ owner, q: 'quality -ozone', limit: 10 })).toEqual(['temperatures']);
    expect((await names({ owner, q: 'hydrology or ozone', limit: 10 })).sort()).toEqual(['quality', 'rivers']);
    // Only whitespace is no text filter at all.
    expect(await names({ owner, q: '   ', limit: 10 })).toEqual(['quality', 'rivers', 'temperatures']);
  });

  it('rejects a cursor of one kind of search used with the other', async () => {
    const owner = uniqueOwner();
    for (const name of ['a', 'b'])
      await db.catalog.apply({ dataset: { owner, name }, entry: entryFor(owner, name, { title: 'Shared words' }) });
    const listed = await db.catalog.search({ owner, limit: 1 });
    const ranked = await db.catalog.search({ owner, q: 'shared', limit: 1 });
    await expect(db.catalog.search({ owner, q: 'shared', limit: 1, cursor: listed.nextCursor! })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('without q'),
    });
    await expect(db.catalog.search({ owner, limit: 1, cursor: ranked.nextCursor! })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(db.catalog.scan({ limit: 1, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('takes search input as parameters, never as SQL', async () => {
    const owner = uniqueOwner();
    await db.catalog.apply({ dataset: { owner, name: 'x' }, entry: entryFor(owner, 'x', { keywords: ["it's"] }) });
    expect(await names({ owner, keyword: "it's", limit: 10 })).toEqual(['x']);
    expect(await names({ owner: "x' OR '1'='1", limit: 10 })).toEqual([]);
    expect(await names({ owner, q: "'); DROP TABLE datasets; --", limit: 10 })).toEqual([]);
    expect(await db.catalog.getDataset({ owner, name: 'x' })).toMatchObject({
      id: { owner, name: 'x' },
      keywords: ["it's"],
      deleted: false,
    });
  });

  it('rolls back an update whose own events repeat an event id', async () => {
    const owner = uniqueOwner();
    const id = { owner, name: 'twice' };
    const duplicate = randomUUID();
    await expect(
      db.catalog.apply({
        dataset: id,
        entry: entryFor(owner, 'twice'),
        descriptors: [{ revision: 'c'.repeat(40), source: '{}' }],
        upsertTags: [
          {
            name: 'v1',
            target: 'c'.repeat(40),
            description: 'x',
            author: { name: 'A', email: 'a@example.com' },
            createdAt: '2024-01-01T00:00:00.000Z',
          },
        ],
        events: [eventFor(owner, 'twice', duplicate), eventFor(owner, 'twice', duplicate)],
      }),
    ).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(await db.catalog.getDataset(id)).toBeUndefined();
    expect(await db.catalog.descriptorAt(id, 'c'.repeat(40))).toBeUndefined();
    expect(await db.catalog.listTags(id)).toEqual([]);
  });

  it('appends events to the outbox in the order given', async () => {
    const owner = uniqueOwner();
    const events = [eventFor(owner, 'ordered'), eventFor(owner, 'ordered'), eventFor(owner, 'ordered')];
    const before = await db.outbox.pendingCount();
    await db.catalog.apply({ dataset: { owner, name: 'ordered' }, entry: entryFor(owner, 'ordered'), events });
    expect(await db.outbox.pendingCount()).toBe(before + 3);
    const feed: MetastoreEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await db.outbox.feed(after, 50);
      feed.push(...page.items.map((stored) => stored.event));
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    expect(feed.slice(-3)).toEqual(events);
  });

  it('keeps the first content cached for a revision', async () => {
    const owner = uniqueOwner();
    const id = { owner, name: 'immutable' };
    await db.catalog.apply({ dataset: id, descriptors: [{ revision: 'd'.repeat(40), source: 'first' }] });
    await db.catalog.apply({ dataset: id, descriptors: [{ revision: 'd'.repeat(40), source: 'second' }] });
    expect(await db.catalog.descriptorAt(id, 'd'.repeat(40))).toBe('first');
  });

  /** Runs `use` on a connection of its own, the store's pool closed meanwhile (the embedded database takes one connection at a time). */
  async function withClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    await db.close();
    try {
      for (let attempt = 1; ; attempt++) {
        const client = new pg.Client({ connectionString: database.url });
        try {
          await client.connect();
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        try {
          return await use(client);
        } finally {
          await client.end();
        }
      }
    } finally {
      db = createCatalogDatabase({ url: database.url, poolSize: database.poolSize });
    }
  }

  it('keeps dataset_keywords equal to the keywords of every dataset that is not deleted', async () => {
    const owner = uniqueOwner();
    const apply = (name: string, keywords: string[], deleted = false) =>
      db.catalog.apply({ dataset: { owner, name }, entry: entryFor(owner, name, { keywords, deleted }) });
    await apply('a', ['x', 'y', 'x']);
    await apply('b', ['y']);
    await apply('c', ['z']);
    await apply('a', ['y', 'w']);
    await db.catalog.apply({ dataset: { owner, name: 'b' }, deletedAt: new Date() });
    await apply('d', ['x'], true);
    await apply('e', []);
    const rows = await withClient(
      async (client) =>
        (
          await client.query<{ keyword: string; name: string }>(
            'SELECT keyword, name FROM dataset_keywords WHERE owner = $1 ORDER BY keyword, name',
            [owner],
          )
        ).rows,
    );
    expect(rows).toEqual([
      { keyword: 'w', name: 'a' },
      { keyword: 'y', name: 'a' },
      { keyword: 'z', name: 'c' },
    ]);
  });

  it("backfills dataset_keywords from the rows there (the migration's statement, as the migration runner splits it)", async () => {
    const owner = uniqueOwner();
    await db.catalog.apply({ dataset: { owner, name: 'a' }, entry: entryFor(owner, 'a', { keywords: ['p', 'q', 'p'] }) });
    await db.catalog.apply({ dataset: { owner, name: 'b' }, entry: entryFor(owner, 'b', { keywords: ['q'] }) });
    await db.catalog.apply({ dataset: { owner, name: 'gone' }, entry: entryFor(owner, 'gone', { keywords: ['q'] }) });
    await db.catalog.apply({ dataset: { owner, name: 'gone' }, deletedAt: new Date() });
    const script = await readFile(path.join(MIGRATIONS, '20261130120000_dataset_keywords', 'migration.sql'), 'utf8');
    const backfill = script.split(';').find((statement) => statement.includes('INSERT INTO "dataset_keywords"'));
    expect(backfill).toBeDefined();
    const rows = await withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await client.query('DELETE FROM dataset_keywords WHERE owner = $1', [owner]);
        // Other tests' rows are still there: only this owner's are missing, and the statement must add exactly those.
        await client.query(`${backfill!.replace(/WHERE NOT "deleted"/, 'WHERE NOT "deleted" AND "owner" = $1')}`, [owner]);
        return (
          await client.query<{ keyword: string; name: string }>(
            'SELECT keyword, name FROM dataset_keywords WHERE owner = $1 ORDER BY keyword, name',
            [owner],
          )
        ).rows;
      } finally {
        await client.query('ROLLBACK');
      }
    });
    expect(rows).toEqual([
      { keyword: 'p', name: 'a' },
      { keyword: 'q', name: 'a' },
      { keyword: 'q', name: 'b' },
    ]);
  });

  it('ranks a text search up to maxRankedMatches; past it, pages go in (owner, name) order, also when matches grow between pages', async () => {
    await db.close();
    const limited = createCatalogDatabase({ url: database.url, poolSize: database.poolSize, maxRankedMatches: 3 });
    try {
      const owner = uniqueOwner();
      const put = (name: string, title: string, description = 'Nothing.') =>
        limited.catalog.apply({ dataset: { owner, name }, entry: entryFor(owner, name, { title, description }) });
      // Key order is the reverse of relevance order.
      await put('a', 'Plain', 'About lichens.');
      await put('b', 'Lichens of the tundra');
      const first = await limited.catalog.search({ owner, q: 'lichens', limit: 1 });
      expect(first.items.map((entry) => entry.id.name)).toEqual(['b']);
      // Three more matches: five in all, past the limit. The ranked cursor goes on in key order after its dataset ('b').
      for (const name of ['c', 'd', 'e']) await put(name, 'Lichens');
      const next = await limited.catalog.search({ owner, q: 'lichens', limit: 2, cursor: first.nextCursor! });
      expect(next.items.map((entry) => entry.id.name)).toEqual(['c', 'd']);
      const last = await limited.catalog.search({ owner, q: 'lichens', limit: 2, cursor: next.nextCursor! });
      expect(last.items.map((entry) => entry.id.name)).toEqual(['e']);
      expect(last.nextCursor).toBeUndefined();
      // From the start: key order throughout.
      expect((await limited.catalog.search({ owner, q: 'lichens', limit: 10 })).items.map((entry) => entry.id.name)).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
      ]);
      // A key-order cursor of a text search is no cursor for a listing, and the other way round.
      await expect(limited.catalog.search({ owner, limit: 2, cursor: next.nextCursor! })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('with q'),
      });
      const listed = await limited.catalog.search({ owner, limit: 1 });
      await expect(limited.catalog.search({ owner, q: 'lichens', limit: 1, cursor: listed.nextCursor! })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('without q'),
      });
      // A narrower search (three matches or fewer) is ranked.
      const narrowed = await limited.catalog.search({ owner, q: 'lichens tundra', limit: 10 });
      expect(narrowed.items.map((entry) => entry.id.name)).toEqual(['b']);
    } finally {
      await limited.close();
      db = createCatalogDatabase({ url: database.url, poolSize: database.poolSize });
    }
  });

  it('seeds thousands of rows in one statement, searchable at once', async () => {
    const prefix = uniqueOwner();
    // The embedded server takes one connection at a time: seeding (its own connection) happens with the pool closed.
    await db.close();
    const started = Date.now();
    expect(await seedCatalog(database.url, 5000, { prefix })).toBe(5000);
    const elapsed = Date.now() - started;
    expect(await seedCatalog(database.url, 10, { prefix })).toBe(0);
    db = createCatalogDatabase({ url: database.url, poolSize: database.poolSize });
    const owner = `${prefix}-7`;
    const all = await db.catalog.search({ owner, limit: 1000 });
    expect(all.items).toHaveLength(100);
    const rain = await db.catalog.search({ owner, q: 'rainfall', limit: 1000 });
    expect(rain.items.length).toBeGreaterThan(0);
    expect(rain.items.every((entry) => entry.title?.includes('rainfall'))).toBe(true);
    const openData = await db.catalog.search({ owner, keyword: 'open-data', limit: 1000 });
    expect(openData.items.length).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(60_000);
  }, 90_000);
});

describe('PostgresCatalogStore without a database', () => {
  it('reports STORAGE_UNAVAILABLE without the password', async () => {
    const { catalog, close } = createCatalogDatabase({ url: 'postgresql://metastore:s3cr%3Et-pw@127.0.0.1:9/catalog', poolSize: 1 });
    try {
      const failure = await catalog.checkReady().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(StorageUnavailableError);
      const message = (failure as Error).message;
      expect(message).toMatch(/catalog database/);
      expect(message).not.toContain('s3cr');
      await expect(catalog.search({ limit: 1 })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await close();
    }
  });

  it('fails a call with STORAGE_UNAVAILABLE after the connect timeout when the server accepts but never answers', async () => {
    // A TCP server that swallows connections: what a network partition looks like to a client.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const { catalog, close } = createCatalogDatabase({
      url: `postgresql://metastore@127.0.0.1:${port}/catalog`,
      poolSize: 1,
      connectTimeoutMs: 200,
    });
    try {
      await expect(catalog.getDataset({ owner: 'acme', name: 'rain' })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses a URL that is not postgresql://', () => {
    expect(() => createCatalogDatabase({ url: 'mysql://localhost/x' })).toThrow(expect.objectContaining({ code: 'CONFIGURATION_INVALID' }));
  });
});
