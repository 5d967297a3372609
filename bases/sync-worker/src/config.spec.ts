import { loadCliConfig, loadWorkerConfig } from './config';

const DATABASE_URL = 'postgresql://metastore:s3cret-password@db.internal:5432/metastore';

/** The ConfigurationError's message for `env`. */
function problem(env: Record<string, string>, load: (env: Record<string, string>) => unknown = loadWorkerConfig): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadWorkerConfig', () => {
  it('applies defaults: one run, local storage, no Redis', () => {
    const config = loadWorkerConfig({ DATABASE_URL });
    expect(config).toMatchObject({
      mode: 'once',
      intervalSeconds: 300,
      logLevel: 'info',
      database: { url: DATABASE_URL, poolSize: 10 },
      events: { publicUrl: 'http://localhost:3000', maxDescriptorBytes: 256 * 1024 },
      storage: { backend: 'local' },
    });
    expect(config.redis).toBeUndefined();
    expect(config.storage.local.dataDir).toMatch(/\/data$/);
  });

  it('reads the loop, Redis, event and storage settings as the API reads them', () => {
    const config = loadWorkerConfig({
      DATABASE_URL,
      DATABASE_POOL_SIZE: '3',
      SYNC_MODE: 'loop',
      SYNC_INTERVAL_SECONDS: '60',
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
      logLevel: 'debug',
      database: { poolSize: 3 },
      redis: { url: 'redis://cache:6379/2', stream: 'prod:events' },
      events: { publicUrl: 'https://metastore.example.org', maxDescriptorBytes: 64 * 1024 },
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
    expect(config.storage).toMatchObject({ backend: 'github', github: { owners: ['acme', 'open-data', 'octocat'] } });
  });

  it('waits up to 10 minutes for a GitHub rate limit unless told otherwise (the API: 10 s)', () => {
    expect(loadWorkerConfig({ DATABASE_URL, STORAGE: 'github', GITHUB_TOKEN: 'ghp_token' }).storage).toMatchObject({
      github: { maxRateLimitWaitSeconds: 600 },
    });
    const told = loadWorkerConfig({ DATABASE_URL, STORAGE: 'github', GITHUB_TOKEN: 'ghp_token', GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: '30' });
    expect(told.storage).toMatchObject({ github: { maxRateLimitWaitSeconds: 30 } });
  });

  it('requires DATABASE_URL: the embedded database belongs to the API process', () => {
    expect(problem({})).toContain('DATABASE_URL: required');
    expect(problem({ DATABASE_URL: '' })).toContain('DATABASE_URL: required');
  });

  it('names every bad variable in one message and never echoes a secret', () => {
    const message = problem({
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
    expect(config).not.toHaveProperty('redis');
  });

  it('without DATABASE_URL, names the embedded database in the data directory, as the API does', () => {
    const config = loadCliConfig({ METASTORE_DATA_DIR: '/srv/metastore', DATABASE_URL: '' });
    expect(config.database).toEqual({ poolSize: 10, embeddedDir: '/srv/metastore/catalog' });
  });

  it('names every bad variable in one message and never echoes a secret', () => {
    const message = problem(
      {
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        LOG_LEVEL: 'loud',
        STORAGE: 'github',
        GITHUB_TOKEN: 'ghp_secretTokenValue',
        GITHUB_OWNERS: 'not/valid',
      },
      loadCliConfig,
    );
    for (const variable of ['DATABASE_URL', 'LOG_LEVEL', 'GITHUB_OWNERS']) expect(message).toContain(variable);
    for (const secret of ['hunter2', 'ghp_secretTokenValue']) expect(message).not.toContain(secret);
  });
});
