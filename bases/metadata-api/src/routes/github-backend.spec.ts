import { startGitHubTestServer, type GitHubTestServer } from '@metastore/storage-github/testing';
import { startTestServer, type TestServer } from '../testing/test-server';

describe('metadata-api on the GitHub backend (STORAGE=github, local GitHub API test server)', () => {
  let github: GitHubTestServer;
  let api: TestServer;
  beforeAll(async () => {
    github = await startGitHubTestServer();
    api = await startTestServer({
      STORAGE: 'github',
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: 'test-token',
      GITHUB_WRITE_INTERVAL_MS: '0',
      GITHUB_RETRY_BASE_MS: '5',
    });
  });
  afterAll(async () => {
    await api.close();
    await github.close();
    expect(github.violations).toEqual([]);
  });

  it('creates, updates, tags, reads at the tag, diffs and reverts through GitHub', async () => {
    const http = api.http();
    expect((await http.get('/readyz')).body).toMatchObject({
      status: 'ready',
      checks: { storage: { status: 'up', backend: 'github' }, catalog: { status: 'up' } },
    });
    const created = await http
      .post('/api/v1/datasets')
      .send({ owner: 'gh-org', name: 'rain', descriptor: { name: 'rain', resources: [{ name: 'r', path: 'r.csv' }] } });
    expect(created.status).toBe(201);
    const first = created.body.revision.sha as string;
    const updated = await http
      .patch('/api/v1/datasets/gh-org/rain')
      .set('Content-Type', 'application/merge-patch+json')
      .set('If-Match', `"${first}"`)
      .send('{"title":"Rain"}');
    expect(updated.status).toBe(200);
    const stale = await http
      .patch('/api/v1/datasets/gh-org/rain')
      .set('Content-Type', 'application/merge-patch+json')
      .set('If-Match', `"${first}"`)
      .send('{"title":"Lost"}');
    expect(stale.status).toBe(412);
    expect((await http.post('/api/v1/datasets/gh-org/rain/tags').send({ name: 'v1', ref: first })).status).toBe(201);
    const atTag = await http.get('/api/v1/datasets/gh-org/rain?ref=v1');
    expect(atTag.headers['etag']).toBe(`"${first}"`);
    expect(atTag.body.title).toBeUndefined();
    const diff = await http.get('/api/v1/datasets/gh-org/rain/diff?from=v1');
    expect(diff.body.summary.fieldsChanged).toEqual(['title']);
    const reverted = await http.post('/api/v1/datasets/gh-org/rain/revert').send({ to: 'v1' });
    expect(reverted.body).toMatchObject({ changed: true, revertedTo: first });
    const history = await http.get('/api/v1/datasets/gh-org/rain/revisions');
    expect(history.body.items).toHaveLength(3);
  });

  it('reads at a sha or a tag with no GitHub request at all, even from a restarted process, thanks to the catalog', async () => {
    const http = api.http();
    const created = await http
      .post('/api/v1/datasets')
      .send({ owner: 'gh-org', name: 'cached', descriptor: { name: 'cached', resources: [{ name: 'r', path: 'r.csv' }] } });
    const sha = created.body.revision.sha as string;
    expect((await http.post('/api/v1/datasets/gh-org/cached/tags').send({ name: 'v1' })).status).toBe(201);
    // A second API process on the same catalog: its GitHub adapter's in-memory caches are empty. (The embedded
    // database serves one connection, held by the first server's pool: there, the first server answers instead.)
    const shared = api.database.poolSize === 1;
    const restarted = shared
      ? api
      : await startTestServer(
          { STORAGE: 'github', GITHUB_API_URL: github.url, GITHUB_TOKEN: 'test-token', GITHUB_WRITE_INTERVAL_MS: '0' },
          undefined,
          {
            database: api.database,
          },
        );
    try {
      github.resetRequests();
      const atSha = await restarted.http().get(`/api/v1/datasets/gh-org/cached?ref=${sha}`);
      const atTag = await restarted.http().get('/api/v1/datasets/gh-org/cached?ref=v1');
      expect([atSha.status, atTag.status]).toEqual([200, 200]);
      expect(atTag.headers['etag']).toBe(`"${sha}"`);
      expect(atSha.body).toEqual(atTag.body);
      expect(github.requests).toEqual([]);
    } finally {
      if (!shared) await restarted.close();
    }
  });

  it('exposes the remaining GitHub rate-limit budget and request timings as Prometheus metrics', async () => {
    const metrics = await api.http().get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/metastore_storage_rate_limit_remaining\{backend="github"\} \d+/);
    expect(metrics.text).toContain('metastore_http_request_duration_seconds_count{method="POST",route="/api/v1/datasets",status="201"}');
  });
});
