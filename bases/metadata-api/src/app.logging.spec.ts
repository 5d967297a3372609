import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createCatalogDatabase, type CatalogDatabase } from '@metastore/catalog-postgres';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { loadApiConfig } from '@metastore/runtime';
import { createApp } from './app';
import { buildDependencies, type Dependencies } from './dependencies';
import { TEST_JWT_SECRET } from './testing/test-server';

describe('request log', () => {
  let dataDir: string;
  let testDatabase: TestDatabase;
  let database: CatalogDatabase;
  let dependencies: Dependencies;
  const records: { msg?: string; req?: { url?: string }; res?: { statusCode?: number } }[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-log-'));
    const config = loadApiConfig({ METASTORE_DATA_DIR: dataDir, METASTORE_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info' });
    testDatabase = await databaseForTests();
    database = createCatalogDatabase({ url: testDatabase.url, ...(testDatabase.poolSize ? { poolSize: testDatabase.poolSize } : {}) });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        records.push(JSON.parse(chunk.toString('utf8')) as (typeof records)[number]);
        done();
      },
    });
    dependencies = buildDependencies(
      config,
      {
        catalog: database.catalog,
        outbox: database.outbox,
        revocations: database.revocations,
        webhookDeliveries: database.webhookDeliveries,
        jwt: config.auth.jwt!,
      },
      { logger: pino({ level: 'info' }, destination) },
    );
  }, 120_000);
  afterAll(async () => {
    await dependencies?.journal.stop();
    await dependencies?.relay?.stop();
    await database?.close();
    await testDatabase?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves out the probes and metrics scrapes, and logs every other request', async () => {
    const app = createApp(dependencies);
    for (const probe of ['/healthz', '/readyz', '/metrics', '/healthz?verbose=1'])
      expect((await request(app).get(probe)).status).toBeLessThan(500);
    expect((await request(app).get('/api/v1/datasets')).status).toBe(401);
    expect((await request(app).get('/healthzz')).status).toBe(404);
    const logged = records.filter((record) => record.req !== undefined).map((record) => `${record.res?.statusCode} ${record.req?.url}`);
    expect(logged).toEqual(['401 /api/v1/datasets', '404 /healthzz']);
  });
});
