import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      bodyLimitBytes: 1024 * 1024,
      logLevel: 'info',
      storage: { backend: 'local' },
    });
    expect(config.storage.local.dataDir).toMatch(/\/data$/);
  });

  it('parses sizes and ports', () => {
    const config = loadConfig({ PORT: '8080', METASTORE_BODY_LIMIT: '256kb', METASTORE_DATA_DIR: '/tmp/x' });
    expect(config).toMatchObject({ port: 8080, bodyLimitBytes: 256 * 1024, storage: { local: { dataDir: '/tmp/x' } } });
  });

  it('reads how long the revocation list is cached and served stale during an outage (30 s and 5 min by default)', () => {
    expect(loadConfig({}).auth).toMatchObject({ revocationCacheSeconds: 30, revocationStaleSeconds: 300 });
    expect(loadConfig({ METASTORE_REVOCATION_CACHE_SECONDS: '0.5', METASTORE_REVOCATION_STALE_SECONDS: '0' }).auth).toMatchObject({
      revocationCacheSeconds: 0.5,
      revocationStaleSeconds: 0,
    });
    expect(() => loadConfig({ METASTORE_REVOCATION_STALE_SECONDS: '-1' })).toThrow(/METASTORE_REVOCATION_STALE_SECONDS/);
    expect(() => loadConfig({ METASTORE_REVOCATION_CACHE_SECONDS: 'soon' })).toThrow(/METASTORE_REVOCATION_CACHE_SECONDS/);
  });

  it('keeps the catalog journal under the data directory whatever the backend, and reads the longest retry pause (30 s by default)', () => {
    expect(loadConfig({ METASTORE_DATA_DIR: '/srv/metastore' }).catalog).toMatchObject({
      journalDir: '/srv/metastore/catalog-journal',
      retryMaxSeconds: 30,
    });
    expect(
      loadConfig({ STORAGE: 'github', GITHUB_TOKEN: 't', METASTORE_DATA_DIR: '/srv/m', METASTORE_CATALOG_RETRY_MAX_SECONDS: '2.5' })
        .catalog,
    ).toMatchObject({ journalDir: '/srv/m/catalog-journal', retryMaxSeconds: 2.5 });
    expect(() => loadConfig({ METASTORE_CATALOG_RETRY_MAX_SECONDS: '0' })).toThrow(/METASTORE_CATALOG_RETRY_MAX_SECONDS/);
  });

  it('names every bad variable in one clear message', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', METASTORE_BODY_LIMIT: 'lots', LOG_LEVEL: 'loud', STORAGE: 'ftp', METASTORE_DEFAULT_BRANCH: 'a b' });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const variable of ['PORT', 'METASTORE_BODY_LIMIT', 'LOG_LEVEL', 'STORAGE', 'METASTORE_DEFAULT_BRANCH'])
      expect(message).toContain(variable);
    expect(message).toContain("'lots' is not a size");
  });
});

describe('loadConfig: GitHub storage', () => {
  it('selects GitHub with its settings and never echoes the token in errors', () => {
    const config = loadConfig({ STORAGE: 'github', GITHUB_TOKEN: 'secret-token', GITHUB_VISIBILITY: 'public' });
    expect(config.storage).toMatchObject({
      backend: 'github',
      github: { apiUrl: 'https://api.github.com', visibility: 'public', topic: 'metastore-dataset' },
    });
    let message = '';
    try {
      loadConfig({ STORAGE: 'github', GITHUB_TOKEN: 'secret-token', GITHUB_API_URL: 'not a url', GITHUB_TOPIC: 'Bad Topic' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('GITHUB_API_URL');
    expect(message).toContain('GITHUB_TOPIC');
    expect(message).not.toContain('secret-token');
    expect(() => loadConfig({ STORAGE: 'github' })).toThrow(/GITHUB_TOKEN/);
  });
});
