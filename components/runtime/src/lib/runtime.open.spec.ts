import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { loadApiConfig, loadCliConfig, loadTokenConfig } from './runtime.config';
import { openCatalog, openEventStream, openStorage, resolveJwtSettings } from './runtime.open';

const logger = pino({ level: 'silent' });

describe('openStorage', () => {
  it("makes the selected backend's adapter from its settings", () => {
    expect(openStorage(loadCliConfig({}).storage, { logger }).backend).toBe('local');
    expect(openStorage(loadCliConfig({ STORAGE: 'github', GITHUB_TOKEN: 't' }).storage, { logger }).backend).toBe('github');
  });
});

describe('openEventStream', () => {
  it('is absent without REDIS_URL, and a Redis stream with it', async () => {
    expect(openEventStream(loadApiConfig({}).events, logger)).toBeUndefined();
    const stream = openEventStream(loadApiConfig({ REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' }).events, logger);
    expect(stream).toBeDefined();
    await stream!.close();
  });
});

describe('resolveJwtSettings', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-runtime-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it("uses the installation's generated secret when none is configured, the same for the API and `metastore token`", async () => {
    const api = await resolveJwtSettings(loadApiConfig({ METASTORE_DATA_DIR: dataDir }).auth, dataDir);
    expect(api.createdSecretFile).toBe(path.join(dataDir, 'jwt-secret'));
    expect(api.jwt).toMatchObject({ algorithms: ['HS256'], localSecret: true });
    const token = loadTokenConfig({ METASTORE_DATA_DIR: dataDir });
    const again = await resolveJwtSettings(token, token.dataDir);
    expect(again.createdSecretFile).toBeUndefined();
    expect(again.jwt.verification).toEqual(api.jwt.verification);
    expect(String(await readFile(api.createdSecretFile!))).toContain(
      (api.jwt.verification as { secret: Buffer }).secret.toString('utf8').trim(),
    );
  });

  it('keeps a configured key', async () => {
    const config = loadApiConfig({ METASTORE_JWT_SECRET: 'k'.repeat(32) });
    expect(await resolveJwtSettings(config.auth, dataDir)).toEqual({ jwt: config.auth.jwt });
  });
});

describe('openCatalog', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await databaseForTests();
  });
  afterAll(() => database.drop());

  it("opens the API's catalog with DATABASE_POOL_SIZE connections at most", async () => {
    if (database.kind === 'embedded') return; // one connection, whatever the setting
    const config = loadApiConfig({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '3' });
    const catalog = await openCatalog(config.database);
    const counter = new pg.Client({ connectionString: database.url });
    await counter.connect();
    try {
      await Promise.all(Array.from({ length: 20 }, () => catalog.catalog.checkReady()));
      const { rows } = await counter.query<{ count: string }>(
        'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      expect(Number(rows[0]!.count)).toBe(3);
    } finally {
      await counter.end();
      await catalog.close();
    }
  });
});
