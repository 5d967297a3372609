import { Octokit } from '@octokit/rest';
import { type GitHubTestServer, startGitHubTestServer } from './github-test-server';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let sequence = 0;
const newOrg = () => `faults-${process.pid}-${++sequence}`;

describe('GitHub test server fault injection', () => {
  let server: GitHubTestServer;
  let octokit: Octokit;

  beforeAll(async () => {
    server = await startGitHubTestServer();
    octokit = new Octokit({ baseUrl: server.url, auth: 'test-token', log: quiet });
  });
  afterEach(() => {
    server.faults.clear();
    server.setLatency(0);
    expect(server.violations).toEqual([]);
  });
  afterAll(() => server.close());

  async function repository(): Promise<{ owner: string; repo: string }> {
    const owner = newOrg();
    await octokit.repos.createInOrg({ org: owner, name: 'set', auto_init: true });
    return { owner, repo: 'set' };
  }

  async function failure(
    promise: Promise<unknown>,
  ): Promise<{ status: number; data: { message: string }; headers: Record<string, string | undefined> }> {
    const error = await promise.then(
      () => undefined,
      (rejected: unknown) => rejected as { status: number; response: { data: { message: string }; headers: Record<string, string> } },
    );
    if (!error) throw new Error('expected the request to fail');
    return { status: error.status, data: error.response.data, headers: error.response.headers };
  }

  it.each([500, 502, 503] as const)('answers %i server errors the given number of times, then recovers', async (status) => {
    const { owner, repo } = await repository();
    const fault = server.faults.inject({ route: 'GET /repos/{owner}/{repo}', times: 2, kind: { type: 'server-error', status } });
    expect((await failure(octokit.repos.get({ owner, repo }))).status).toBe(status);
    expect((await failure(octokit.repos.get({ owner, repo }))).status).toBe(status);
    expect(fault).toMatchObject({ triggered: 2, remaining: 0 });
    expect((await octokit.repos.get({ owner, repo })).status).toBe(200);
  });

  it('matches faults by method, by path template and by RegExp on the concrete path', async () => {
    const { owner, repo } = await repository();
    server.faults.inject({
      method: 'POST',
      route: '/repos/{owner}/{repo}/git/blobs',
      times: 1,
      kind: { type: 'server-error', status: 502 },
    });
    server.faults.inject({ route: new RegExp(`/repos/${owner}/${repo}/topics$`), times: 1, kind: { type: 'server-error', status: 503 } });
    expect((await octokit.repos.get({ owner, repo })).status).toBe(200);
    expect((await failure(octokit.git.createBlob({ owner, repo, content: 'x' }))).status).toBe(502);
    expect((await failure(octokit.repos.getAllTopics({ owner, repo }))).status).toBe(503);
    expect((await octokit.repos.getAllTopics({ owner, repo })).status).toBe(200);
  });

  it.each([403, 429] as const)('answers a primary rate limit (%i) with x-ratelimit-remaining 0 and a reset time', async (status) => {
    const { owner, repo } = await repository();
    server.faults.inject({
      route: 'GET /repos/{owner}/{repo}/commits/{ref}',
      times: 1,
      kind: { type: 'primary-rate-limit', status, resetInSeconds: 30 },
    });
    const limited = await failure(octokit.repos.getCommit({ owner, repo, ref: 'main' }));
    expect(limited.status).toBe(status);
    expect(limited.data.message).toMatch(/^API rate limit exceeded for /);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(limited.headers['x-ratelimit-reset']);
    expect(reset - Date.now() / 1000).toBeGreaterThan(25);
    expect((await octokit.repos.getCommit({ owner, repo, ref: 'main' })).status).toBe(200);
  });

  it('answers a secondary rate limit with retry-after and the message octokit recognises', async () => {
    const { owner, repo } = await repository();
    server.faults.inject({
      route: 'POST /repos/{owner}/{repo}/git/blobs',
      times: 1,
      kind: { type: 'secondary-rate-limit', retryAfterSeconds: 7 },
    });
    const limited = await failure(octokit.git.createBlob({ owner, repo, content: 'x' }));
    expect(limited.status).toBe(403);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.data.message).toMatch(/^You have exceeded a secondary rate limit/);
    server.faults.inject({ route: 'POST /repos/{owner}/{repo}/git/blobs', times: 1, kind: { type: 'secondary-rate-limit' } });
    const unspecified = await failure(octokit.git.createBlob({ owner, repo, content: 'x' }));
    expect(unspecified.status).toBe(403);
    expect(unspecified.headers['retry-after']).toBeUndefined();
  });

  it('adds latency per fault and globally', async () => {
    const { owner, repo } = await repository();
    server.faults.inject({ route: 'GET /repos/{owner}/{repo}', times: 1, kind: { type: 'latency', ms: 150 } });
    let started = Date.now();
    await octokit.repos.get({ owner, repo });
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    started = Date.now();
    await octokit.repos.get({ owner, repo });
    expect(Date.now() - started).toBeLessThan(145);
    server.setLatency(100);
    started = Date.now();
    await octokit.repos.get({ owner, repo });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('performs the effect and then answers 5xx (a lost response): the retry sees "name already exists"', async () => {
    const org = newOrg();
    server.faults.inject({ route: 'POST /orgs/{org}/repos', times: 1, kind: { type: 'error-after-effect', status: 502 } });
    expect((await failure(octokit.repos.createInOrg({ org, name: 'lost', auto_init: true }))).status).toBe(502);
    const retry = await failure(octokit.repos.createInOrg({ org, name: 'lost', auto_init: true }));
    expect(retry.status).toBe(422);
    expect(retry.data).toMatchObject({ errors: [{ message: 'name already exists on this account' }] });
    expect((await octokit.repos.get({ owner: org, repo: 'lost' })).data.name).toBe('lost');
  });

  it('hides a new repository for a number of requests after creation', async () => {
    server.faults.notFoundAfterCreate(2);
    const org = newOrg();
    await octokit.repos.createInOrg({ org, name: 'lagging', auto_init: true });
    expect((await failure(octokit.repos.get({ owner: org, repo: 'lagging' }))).status).toBe(404);
    expect((await failure(octokit.git.getRef({ owner: org, repo: 'lagging', ref: 'heads/main' }))).status).toBe(404);
    expect((await octokit.git.getRef({ owner: org, repo: 'lagging', ref: 'heads/main' })).status).toBe(200);
    expect((await octokit.repos.listForOrg({ org })).data.map((repository) => repository.name)).toEqual(['lagging']);
  });

  it('hides a new repository for some milliseconds after creation', async () => {
    server.faults.notFoundAfterCreate({ ms: 200 });
    const org = newOrg();
    await octokit.repos.createInOrg({ org, name: 'lagging' });
    expect((await failure(octokit.repos.get({ owner: org, repo: 'lagging' }))).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 220));
    expect((await octokit.repos.get({ owner: org, repo: 'lagging' })).status).toBe(200);
  });

  it('answers 403 once the hourly rate limit is spent', async () => {
    const limited = await startGitHubTestServer({ rateLimit: 2 });
    try {
      const client = new Octokit({ baseUrl: limited.url, auth: 'x', log: quiet });
      await client.users.getAuthenticated();
      const last = await client.users.getAuthenticated();
      expect(last.headers['x-ratelimit-remaining']).toBe('0');
      const refused = await failure(client.users.getAuthenticated());
      expect(refused).toMatchObject({ status: 403, headers: { 'x-ratelimit-remaining': '0' } });
      expect((await client.rateLimit.get()).data.resources.core).toMatchObject({ limit: 2, remaining: 0, used: 2 });
      expect(limited.violations).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});
