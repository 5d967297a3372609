import { storedEventForTests } from '@metastore/events/testing';
import { TcpProxy } from '@metastore/fault-proxy/testing';
import { databaseForTests, type TestDatabase } from '../testing';
import { createCatalogDatabase } from './catalog-database';

describe('createCatalogDatabase: a connection cut in the middle of a transaction', () => {
  let database: TestDatabase;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    database = await databaseForTests();
    if (database.kind !== 'embedded') {
      const target = new URL(database.url);
      proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    }
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
  }, 60_000);

  it('gives the connection back to the pool: the next calls get one, and close() returns', async () => {
    // The embedded database has no TCP server to put a proxy in front of.
    if (!proxy) return;
    // One connection: a transaction that kept it would leave nothing for anyone else.
    const db = createCatalogDatabase({
      url: proxy.urlThrough(database.url),
      poolSize: 1,
      connectionWaitMs: 2_000,
      connectTimeoutMs: 2_000,
    });
    try {
      await db.catalog.apply({ dataset: { owner: 'acme', name: 'weather' }, events: [storedEventForTests(1).event] });
      // The relay holds its transaction open while it publishes: the cut lands inside it, and so do its COMMIT and ROLLBACK.
      await expect(
        db.outbox.relayBatch(10, async () => {
          proxy!.cut();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }),
      ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      for (let attempt = 0; attempt < 3; attempt++) {
        await db.catalog.checkReady();
        expect(await db.outbox.relayBatch(10, async () => undefined)).toBe(1);
        await db.catalog.apply({ dataset: { owner: 'acme', name: 'weather' }, events: [storedEventForTests(2 + attempt).event] });
      }
    } finally {
      await db.close();
    }
  });
});
