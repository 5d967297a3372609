import path from 'node:path';
import { loadApiConfig, loadCliConfig, loadIndexerConfig, loadTokenConfig, loadWorkerConfig } from './runtime.config';
import { STORAGE_BACKEND_NAMES, STORAGE_BACKENDS } from './storage-backends';

const DATABASE_URL = 'postgresql://metastore:s3cret-password@db.internal:5432/metastore';

/** The ConfigurationError's message for `env` under `load`. */
function problem(load: (env: Record<string, string>) => unknown, env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadApiConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadApiConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      bodyLimitBytes: 1024 * 1024,
      logLevel: 'info',
      storage: { backend: 'local' },
      database: { poolSize: 10 },
      events: { publicUrl: 'http://localhost:3000', maxDescriptorBytes: 256 * 1024, stream: 'metastore:events' },
    });
    expect(config.storage.local.dataDir).toMatch(/\/data$/);
    expect(config.database.url).toBeUndefined();
    expect(config.events.redis).toBeUndefined();
  });

  it('parses sizes and ports', () => {
    const config = loadApiConfig({ PORT: '8080', METASTORE_BODY_LIMIT: '256kb', METASTORE_DATA_DIR: '/tmp/x' });
    expect(config).toMatchObject({ port: 8080, bodyLimitBytes: 256 * 1024, storage: { local: { dataDir: '/tmp/x' } } });
  });

  it('reads METASTORE_STRICT_VALIDATION (false by default; true/false, 1/0, yes/no) and refuses anything else', () => {
    expect(loadApiConfig({}).strictValidation).toBe(false);
    expect(loadApiConfig({ METASTORE_STRICT_VALIDATION: 'true' }).strictValidation).toBe(true);
    expect(loadApiConfig({ METASTORE_STRICT_VALIDATION: '0' }).strictValidation).toBe(false);
    expect(() => loadApiConfig({ METASTORE_STRICT_VALIDATION: 'sometimes' })).toThrow(/METASTORE_STRICT_VALIDATION/);
  });

  it('reads how long the revocation list is cached and served stale during an outage (30 s and 5 min by default)', () => {
    expect(loadApiConfig({}).auth).toMatchObject({ revocationCacheSeconds: 30, revocationStaleSeconds: 300 });
    expect(loadApiConfig({ METASTORE_REVOCATION_CACHE_SECONDS: '0.5', METASTORE_REVOCATION_STALE_SECONDS: '0' }).auth).toMatchObject({
      revocationCacheSeconds: 0.5,
      revocationStaleSeconds: 0,
    });
    expect(() => loadApiConfig({ METASTORE_REVOCATION_STALE_SECONDS: '-1' })).toThrow(/METASTORE_REVOCATION_STALE_SECONDS/);
    expect(() => loadApiConfig({ METASTORE_REVOCATION_CACHE_SECONDS: 'soon' })).toThrow(/METASTORE_REVOCATION_CACHE_SECONDS/);
  });

  it('keeps the catalog and its journal under the data directory whatever the backend, and reads the longest retry pause', () => {
    const local = loadApiConfig({ METASTORE_DATA_DIR: '/srv/metastore' });
    expect(local.catalog).toEqual({ journalDir: '/srv/metastore/catalog-journal', retryMaxSeconds: 30 });
    expect(local.database.embeddedDir).toBe('/srv/metastore/catalog');
    expect(
      loadApiConfig({ STORAGE: 'github', GITHUB_TOKEN: 't', METASTORE_DATA_DIR: '/srv/m', METASTORE_CATALOG_RETRY_MAX_SECONDS: '2.5' })
        .catalog,
    ).toEqual({ journalDir: '/srv/m/catalog-journal', retryMaxSeconds: 2.5 });
    expect(() => loadApiConfig({ METASTORE_CATALOG_RETRY_MAX_SECONDS: '0' })).toThrow(/METASTORE_CATALOG_RETRY_MAX_SECONDS/);
  });

  it('honours DATABASE_POOL_SIZE and METASTORE_PRISMA_CONFIG, as the worker and the command line do', () => {
    const env = { DATABASE_URL, DATABASE_POOL_SIZE: '3', METASTORE_PRISMA_CONFIG: '/app/prisma.config.ts' };
    const expected = { url: DATABASE_URL, poolSize: 3, prismaConfigPath: '/app/prisma.config.ts' };
    expect(loadApiConfig(env).database).toMatchObject(expected);
    expect(loadWorkerConfig(env).database).toMatchObject(expected);
    expect(loadCliConfig(env).database).toMatchObject(expected);
    expect(problem(loadApiConfig, { DATABASE_POOL_SIZE: '0' })).toContain('DATABASE_POOL_SIZE');
  });

  it('reads the JWT settings only when one is set (else the generated secret applies), and Redis only with REDIS_URL', () => {
    expect(loadApiConfig({}).auth.jwt).toBeUndefined();
    const config = loadApiConfig({ METASTORE_JWT_SECRET: 'x'.repeat(32), REDIS_URL: 'redis://cache:6379/2', METASTORE_EVENTS_STREAM: 's' });
    expect(config.auth.jwt).toMatchObject({ algorithms: ['HS256'], localSecret: false });
    expect(config.events).toMatchObject({ stream: 's', redis: { url: 'redis://cache:6379/2', stream: 's' } });
    expect(loadApiConfig({ METASTORE_EVENTS_STREAM: 'named' }).events).toEqual(expect.objectContaining({ stream: 'named' }));
  });

  it('names every bad variable in one clear message', () => {
    const message = problem(loadApiConfig, {
      PORT: 'eighty',
      METASTORE_BODY_LIMIT: 'lots',
      LOG_LEVEL: 'loud',
      STORAGE: 'ftp',
      METASTORE_DEFAULT_BRANCH: 'a b',
      METASTORE_JWT_SECRET: 'short',
    });
    for (const variable of ['PORT', 'METASTORE_BODY_LIMIT', 'LOG_LEVEL', 'STORAGE', 'METASTORE_DEFAULT_BRANCH', 'METASTORE_JWT_SECRET'])
      expect(message).toContain(variable);
    expect(message).toContain("'lots' is not a size");
    expect(message).not.toContain('short');
  });

  it('selects GitHub with its settings, waits 10 s for a rate limit, and never echoes the token in errors', () => {
    const config = loadApiConfig({ STORAGE: 'github', GITHUB_TOKEN: 'secret-token', GITHUB_VISIBILITY: 'public' });
    expect(config.storage).toMatchObject({
      backend: 'github',
      settings: { apiUrl: 'https://api.github.com', visibility: 'public', topic: 'metastore-dataset', maxRateLimitWaitSeconds: 10 },
    });
    const message = problem(loadApiConfig, {
      STORAGE: 'github',
      GITHUB_TOKEN: 'secret-token',
      GITHUB_API_URL: 'not a url',
      GITHUB_TOPIC: 'Bad Topic',
      PORT: 'eighty',
    });
    for (const variable of ['GITHUB_API_URL', 'GITHUB_TOPIC', 'PORT']) expect(message).toContain(variable);
    expect(message).not.toContain('secret-token');
    expect(() => loadApiConfig({ STORAGE: 'github' })).toThrow(/GITHUB_TOKEN/);
  });

  it("does not read a backend's variables unless it is selected", () => {
    expect(loadApiConfig({ GITHUB_TOPIC: 'Bad Topic' }).storage.backend).toBe('local');
  });
});

describe('STORAGE', () => {
  it('allows exactly the registered backends, local by default', () => {
    expect(STORAGE_BACKEND_NAMES).toEqual(STORAGE_BACKENDS.map((backend) => backend.name));
    expect(STORAGE_BACKEND_NAMES).toEqual(['local', 'github', 'gitlab']);
    expect(loadApiConfig({}).storage.backend).toBe(STORAGE_BACKENDS[0].name);
    const message = problem(loadApiConfig, { STORAGE: 'gitea' });
    for (const name of STORAGE_BACKEND_NAMES) expect(message).toContain(`"${name}"`);
  });
});

describe('loadWorkerConfig', () => {
  it('applies defaults: one run, local storage, no Redis', () => {
    const config = loadWorkerConfig({ DATABASE_URL });
    expect(config).toMatchObject({
      mode: 'once',
      intervalSeconds: 300,
      fullSyncEveryHours: 168,
      metrics: {},
      logLevel: 'info',
      database: { url: DATABASE_URL, poolSize: 10 },
      events: { publicUrl: 'http://localhost:3000', maxDescriptorBytes: 256 * 1024 },
      storage: { backend: 'local' },
    });
    expect(config.events.redis).toBeUndefined();
    expect(config.storage.local.dataDir).toMatch(/\/data$/);
  });

  it('reads the loop, Redis, event and storage settings as the API reads them', () => {
    const config = loadWorkerConfig({
      DATABASE_URL,
      DATABASE_POOL_SIZE: '3',
      SYNC_MODE: 'loop',
      SYNC_INTERVAL_SECONDS: '60',
      SYNC_FULL_EVERY_HOURS: '24',
      SYNC_METRICS_PORT: '9464',
      SYNC_METRICS_FILE: '/var/lib/node_exporter/metastore-sync.prom',
      LOG_LEVEL: 'debug',
      REDIS_URL: 'redis://cache:6379/2',
      METASTORE_EVENTS_STREAM: 'prod:events',
      METASTORE_PUBLIC_URL: 'https://metastore.example.org/',
      METASTORE_EVENT_DESCRIPTOR_LIMIT: '64kb',
      METASTORE_DATA_DIR: '/srv/metastore',
    });
    expect(config).toMatchObject({
      mode: 'loop',
      intervalSeconds: 60,
      fullSyncEveryHours: 24,
      metrics: { port: 9464, file: '/var/lib/node_exporter/metastore-sync.prom' },
      logLevel: 'debug',
      database: { poolSize: 3 },
      events: {
        publicUrl: 'https://metastore.example.org',
        maxDescriptorBytes: 64 * 1024,
        redis: { url: 'redis://cache:6379/2', stream: 'prod:events' },
      },
      storage: { backend: 'local', local: { dataDir: '/srv/metastore' } },
    });
  });

  it('takes the GitHub storage with the owners to reconcile', () => {
    const config = loadWorkerConfig({
      DATABASE_URL,
      STORAGE: 'github',
      GITHUB_TOKEN: 'ghp_token',
      GITHUB_OWNERS: 'acme,open-data',
      GITHUB_USER: 'octocat',
    });
    expect(config.storage).toMatchObject({ backend: 'github', settings: { owners: ['acme', 'open-data', 'octocat'] } });
  });

  it('waits up to 10 minutes for a GitHub rate limit unless told otherwise (the API: 10 s)', () => {
    for (const load of [loadWorkerConfig, loadCliConfig]) {
      expect(load({ DATABASE_URL, STORAGE: 'github', GITHUB_TOKEN: 'ghp_token' }).storage).toMatchObject({
        settings: { maxRateLimitWaitSeconds: 600 },
      });
      const told = load({ DATABASE_URL, STORAGE: 'github', GITHUB_TOKEN: 'ghp_token', GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: '30' });
      expect(told.storage).toMatchObject({ settings: { maxRateLimitWaitSeconds: 30 } });
    }
  });

  it('requires DATABASE_URL: the embedded database belongs to the API process', () => {
    expect(problem(loadWorkerConfig, {})).toContain('DATABASE_URL: required');
    expect(problem(loadWorkerConfig, { DATABASE_URL: '' })).toContain('DATABASE_URL: required');
  });

  it('names every bad variable in one message and never echoes a secret', () => {
    const message = problem(loadWorkerConfig, {
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      SYNC_MODE: 'sometimes',
      SYNC_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://user:redis-pass@cache',
      STORAGE: 'github',
      GITHUB_TOKEN: 'ghp_secretTokenValue',
      GITHUB_OWNERS: 'acme,not/valid',
    });
    for (const variable of ['DATABASE_URL', 'SYNC_MODE', 'SYNC_INTERVAL_SECONDS', 'LOG_LEVEL', 'REDIS_URL', 'GITHUB_OWNERS'])
      expect(message).toContain(variable);
    for (const secret of ['hunter2', 'redis-pass', 'ghp_secretTokenValue']) expect(message).not.toContain(secret);
  });
});

describe('loadCliConfig', () => {
  it('reads the same variables as the worker, logs at warn, and ignores Redis and the schedule', () => {
    const config = loadCliConfig({
      DATABASE_URL,
      DATABASE_POOL_SIZE: '3',
      METASTORE_DATA_DIR: '/srv/metastore',
      REDIS_URL: 'redis://cache:6379',
      SYNC_MODE: 'sometimes',
    });
    expect(config).toMatchObject({
      logLevel: 'warn',
      database: { url: DATABASE_URL, poolSize: 3, embeddedDir: '/srv/metastore/catalog' },
      events: { publicUrl: 'http://localhost:3000', maxDescriptorBytes: 256 * 1024 },
      storage: { backend: 'local', local: { dataDir: '/srv/metastore' } },
    });
    expect(config.events).not.toHaveProperty('redis');
    expect(config).not.toHaveProperty('mode');
  });

  it('names every bad variable in one message and never echoes a secret', () => {
    const message = problem(loadCliConfig, {
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      LOG_LEVEL: 'loud',
      STORAGE: 'github',
      GITHUB_TOKEN: 'ghp_secretTokenValue',
      GITHUB_OWNERS: 'not/valid',
    });
    for (const variable of ['DATABASE_URL', 'LOG_LEVEL', 'GITHUB_OWNERS']) expect(message).toContain(variable);
    for (const secret of ['hunter2', 'ghp_secretTokenValue']) expect(message).not.toContain(secret);
  });
});

describe('one rule for empty values', () => {
  it('reads an empty DATABASE_URL as unset in every process: the embedded database, or (worker) required', () => {
    const empty = { METASTORE_DATA_DIR: '/srv/metastore', DATABASE_URL: '' };
    expect(loadApiConfig(empty).database).toEqual({ poolSize: 10, embeddedDir: '/srv/metastore/catalog' });
    expect(loadCliConfig(empty).database).toEqual({ poolSize: 10, embeddedDir: '/srv/metastore/catalog' });
    expect(problem(loadWorkerConfig, empty)).toBe(problem(loadWorkerConfig, { METASTORE_DATA_DIR: '/srv/metastore' }));
  });

  it('gives every empty variable its default, as if it were unset', () => {
    const names = [
      'PORT',
      'HOST',
      'STORAGE',
      'METASTORE_DATA_DIR',
      'METASTORE_PUBLIC_URL',
      'METASTORE_BODY_LIMIT',
      'LOG_LEVEL',
      'REDIS_URL',
      'METASTORE_EVENTS_STREAM',
      'METASTORE_JWT_SECRET',
      'DATABASE_POOL_SIZE',
    ];
    const empty = Object.fromEntries(names.map((name) => [name, '']));
    expect(loadApiConfig(empty)).toEqual(loadApiConfig({}));
    expect(loadCliConfig(empty)).toEqual(loadCliConfig({}));
    expect(loadWorkerConfig({ ...empty, DATABASE_URL })).toEqual(loadWorkerConfig({ DATABASE_URL }));
    expect(loadIndexerConfig({ ...empty, INDEXER_DATA_DIR: '' })).toEqual(loadIndexerConfig({}));
    expect(loadTokenConfig(empty)).toEqual(loadTokenConfig({}));
  });
});

describe('the public URL', () => {
  it('is http://localhost:$PORT in the API, the worker and the command line when unset (PORT: 3000 by default)', () => {
    for (const env of [{}, { PORT: '8080' }]) {
      const api = loadApiConfig(env).events.publicUrl;
      expect(loadWorkerConfig({ ...env, DATABASE_URL }).events.publicUrl).toBe(api);
      expect(loadCliConfig(env).events.publicUrl).toBe(api);
    }
    expect(loadApiConfig({}).events.publicUrl).toBe('http://localhost:3000');
    expect(loadWorkerConfig({ PORT: '8080', DATABASE_URL }).events.publicUrl).toBe('http://localhost:8080');
  });

  it('is the configured one, without trailing slashes, everywhere', () => {
    const env = { METASTORE_PUBLIC_URL: 'https://metastore.example.org/x//', DATABASE_URL };
    for (const load of [loadApiConfig, loadWorkerConfig, loadCliConfig])
      expect(load(env).events.publicUrl).toBe('https://metastore.example.org/x');
  });
});

describe('loadIndexerConfig', () => {
  it('has defaults and reads the stream settings too', () => {
    expect(loadIndexerConfig({})).toEqual({
      redis: { url: 'redis://127.0.0.1:6379', stream: 'metastore:events', maxLength: 100_000 },
      dataDir: path.resolve('data/indexer'),
      logLevel: 'info',
    });
    expect(
      loadIndexerConfig({ INDEXER_DATA_DIR: '/var/lib/indexer', INDEXER_CONSUMER: 'indexer-0', METASTORE_EVENTS_STREAM: 'x' }),
    ).toMatchObject({
      dataDir: '/var/lib/indexer',
      consumer: 'indexer-0',
      redis: { stream: 'x' },
    });
  });

  it('names every bad variable, its own and the stream settings', () => {
    expect(() => loadIndexerConfig({ INDEXER_CONSUMER: 'has space', LOG_LEVEL: 'loud', REDIS_URL: 'http://:pw@x' })).toThrow(
      /INDEXER_CONSUMER.*LOG_LEVEL.*REDIS_URL/,
    );
  });
});

describe('loadTokenConfig', () => {
  it('reads the data directory and the JWT settings the API would read', () => {
    expect(loadTokenConfig({ METASTORE_DATA_DIR: '/srv/m' })).toEqual({ dataDir: '/srv/m' });
    expect(loadTokenConfig({ METASTORE_JWT_SECRET: 's'.repeat(32) }).jwt).toMatchObject({ algorithms: ['HS256'] });
    expect(() => loadTokenConfig({ METASTORE_JWT_SECRET: 'short-secret' })).toThrow(/METASTORE_JWT_SECRET/);
  });
});
