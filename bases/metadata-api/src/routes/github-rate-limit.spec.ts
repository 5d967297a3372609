import { startGitHubTestServer, type GitHubTestServer } from '@metastore/storage-github/testing';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

describe('metadata-api on GitHub when a rate limit resets far in the future', () => {
  let github: GitHubTestServer;
  let api: TestServer;
  beforeAll(async () => {
    github = await startGitHubTestServer();
    // GitHub's own seconds (GITHUB_RETRY_BASE_MS 1000): waiting for an hour-away reset would outlast the test's timeout.
    api = await startTestServer({
      STORAGE: 'github',
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: 'test-token',
      GITHUB_WRITE_INTERVAL_MS: '0',
      GITHUB_RETRY_BASE_MS: '1000',
    });
  });
  afterAll(async () => {
    await api.close();
    await github.close();
    expect(github.violations).toEqual([]);
  });

  const patch = (title: string) =>
    api.http().patch('/api/v1/datasets/gh-limits/rain').set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ title }));

  it('answers 503 with Retry-After at once, and a second write to the same dataset is not held behind it', async () => {
    const created = await api
      .http()
      .post('/api/v1/datasets')
      .send({ owner: 'gh-limits', name: 'rain', descriptor: { name: 'rain', resources: [{ name: 'r', path: 'r.csv' }] } });
    expect(created.status).toBe(201);
    github.faults.inject({
      route: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
      times: 1,
      kind: { type: 'primary-rate-limit', status: 403, resetInSeconds: 3600 },
    });
    // Both enter the dataset's write queue; whichever meets the limit fails fast, and the other is answered right after it.
    const answers = await Promise.all([patch('First'), patch('Second')]);
    const limited = answers.find((answer) => answer.status === 503);
    const written = answers.find((answer) => answer.status === 200);
    expectDocumented('PATCH', '/datasets/{owner}/{name}', limited!);
    expect(limited?.body).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(limited?.headers['retry-after'])).toBeLessThanOrEqual(3601);
    expect(written?.body).toMatchObject({ changed: true, revision: { parents: [created.body.revision.sha] } });
    expect((await api.http().get('/api/v1/datasets/gh-limits/rain')).headers['etag']).toBe(`"${written?.body.revision.sha}"`);
  });

  it('answers a read limited by a secondary rate limit with 503 and its retry-after', async () => {
    github.faults.inject({
      route: 'GET /repos/{owner}/{repo}/commits/{ref}',
      times: 1,
      kind: { type: 'secondary-rate-limit', retryAfterSeconds: 90 },
    });
    const read = await api.http().get('/api/v1/datasets/gh-limits/rain');
    expect([read.status, read.body.code, read.headers['retry-after']]).toEqual([503, 'STORAGE_UNAVAILABLE', '90']);
    expect((await api.http().get('/api/v1/datasets/gh-limits/rain')).status).toBe(200);
  });
});
