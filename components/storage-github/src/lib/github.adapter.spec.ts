import { DatasetService } from '@metastore/datasets';
import { describeDatasetStorageContract, uniqueOwner } from '@metastore/storage/testing';
import type { DatasetId } from '@metastore/storage';
import { startGitHubTestServer, type GitHubTestServer } from '../testing';
import { GitHubStorage } from './github.adapter';
import { parseGitHubStorageConfig } from './github.config';

const TOKEN = 'ghp_testTokenThatMustNeverLeak0123456789';

function storageFor(server: GitHubTestServer, extra: Record<string, string> = {}): GitHubStorage {
  return new GitHubStorage(
    parseGitHubStorageConfig({
      GITHUB_API_URL: server.url,
      GITHUB_TOKEN: TOKEN,
      GITHUB_WRITE_INTERVAL_MS: '0',
      GITHUB_RETRY_BASE_MS: '5',
      ...extra,
    }),
  );
}

describeDatasetStorageContract('github (local GitHub API test server, real HTTP, real octokit)', async () => {
  const server = await startGitHubTestServer();
  return {
    storage: storageFor(server, { GITHUB_OWNERS: 'zeta-org, acme', GITHUB_USER: 'octocat' }),
    configuredOwners: ['acme', 'octocat', 'zeta-org'],
    teardown: async () => {
      expect(server.violations).toEqual([]);
      await server.close();
    },
  };
});

// The shape live mode uses (one shared organisation, unique names), checked here against the test server.
describeDatasetStorageContract('github, one shared organisation (as in live mode)', async () => {
  const server = await startGitHubTestServer();
  return {
    storage: storageFor(server, { GITHUB_OWNERS: 'shared-org' }),
    fixedOwner: 'shared-org',
    configuredOwners: ['shared-org'],
    teardown: () => server.close(),
  };
});

const author = { name: 'Ada', email: 'ada@example.com' };
const descriptor = (title: string) => ({
  name: 'budget',
  title,
  resources: [
    { name: 'a', path: 'data/a.csv', hash: `sha256:${'a'.repeat(64)}`, bytes: 10 },
    { name: 'b', path: 'data/b.csv', hash: `sha256:${'b'.repeat(64)}`, bytes: 20 },
  ],
});

describe('GitHubStorage: API-call budget (counted at the test server)', () => {
  let server: GitHubTestServer;
  beforeAll(async () => {
    server = await startGitHubTestServer();
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  /** Requests GitHub would count against the rate limit (304s are free). */
  function counted(): number {
    return server.requests.filter((request) => request.rateLimited).length;
  }
  async function measure(work: () => Promise<unknown>): Promise<number> {
    server.resetRequests();
    await work();
    return counted();
  }

  it('creates a dataset with any number of files in at most 5 requests', async () => {
    const storage = storageFor(server);
    const files = Array.from({ length: 25 }, (_, index) => ({ path: `data/part-${index}.csv`, content: `pointer ${index}\n` }));
    const calls = await measure(() =>
      storage.createDataset(
        { owner: uniqueOwner('budget'), name: 'many-files' },
        { files: [{ path: 'datapackage.json', content: '{}' }, ...files], message: 'c', author },
      ),
    );
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('updates in at most 4 requests, 3 with a known head (If-Match), with no empty commits', async () => {
    const storage = storageFor(server);
    const service = new DatasetService({ storage });
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'update' };
    const created = await service.create(id, descriptor('v1'), { author });
    expect(await measure(() => service.patch(id, { title: 'v2' }, { author }))).toBeLessThanOrEqual(4);
    const head = await storage.resolveRef(id);
    expect(await measure(() => service.patch(id, { title: 'v3' }, { author, ifMatch: head }))).toBeLessThanOrEqual(3);
    expect(created.revision.parents).toEqual([]);
  });

  it('reads at a sha in 1 request uncached and 0 cached; a read at a tag costs 0 once known', async () => {
    const writer = storageFor(server);
    const service = new DatasetService({ storage: writer });
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'reads' };
    const { revision } = await service.create(id, descriptor('v1'), { author });
    await writer.createTag(id, { name: 'v1', target: revision.sha, description: 'first', author });

    const reader = new DatasetService({ storage: storageFor(server) });
    expect(await measure(() => reader.read(id, revision.sha))).toBe(1);
    expect(await measure(() => reader.read(id, revision.sha))).toBe(0);
    // Cold, a tag costs its resolution plus the content; after that only a free conditional request.
    const coldTag = await measure(() => reader.read(id, 'v1'));
    expect(coldTag).toBeLessThanOrEqual(2);
    expect(await measure(() => reader.read(id, 'v1'))).toBe(0);
    // The head is mutable: revalidated with a conditional request (304, free), content cached by sha.
    await reader.read(id);
    expect(await measure(() => reader.read(id))).toBe(0);
    expect(server.requests.some((request) => request.status === 304)).toBe(true);
  });

  it('lists revisions in 1 request per page of up to 100', async () => {
    const storage = storageFor(server);
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'history' };
    let parent = (await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{"v":0}' }], message: 'v0', author }))
      .sha;
    for (let index = 1; index <= 5; index += 1) {
      parent = (
        await storage.commit(id, {
          parent,
          changes: [{ path: 'datapackage.json', content: `{"v":${index}}` }],
          message: `v${index}`,
          author,
        })
      ).sha;
    }
    expect(await measure(() => storage.listRevisions(id, { limit: 100 }))).toBe(1);
    let pages = 0;
    const calls = await measure(async () => {
      let cursor: string | undefined;
      do {
        const page = await storage.listRevisions(id, { limit: 2, ...(cursor ? { cursor } : {}) });
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor);
    });
    expect(pages).toBe(3);
    expect(calls).toBe(3);
  });

  it('creates a tag in 2 requests and lists known tags without a request per tag', async () => {
    const storage = storageFor(server);
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'tags' };
    const { sha } = await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    expect(await measure(() => storage.createTag(id, { name: 'v1', target: sha, description: 'one', author }))).toBe(2);
    for (const name of ['v2', 'v3', 'v4']) await storage.createTag(id, { name, target: sha, description: name, author });
    const listed = await (async () => {
      server.resetRequests();
      return storage.listTags(id, { limit: 10 });
    })();
    expect(listed.items.map((tag) => tag.name)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(counted()).toBeLessThanOrEqual(2);
    // A cold client pays once per tag object, then never again.
    const cold = storageFor(server);
    expect(await measure(() => cold.listTags(id, { limit: 10 }))).toBeLessThanOrEqual(2 + 4);
    expect(await measure(() => cold.listTags(id, { limit: 10 }))).toBeLessThanOrEqual(2);
  });
});

describe('GitHubStorage: surviving GitHub faults', () => {
  let server: GitHubTestServer;
  let storage: GitHubStorage;
  beforeAll(async () => {
    server = await startGitHubTestServer();
    storage = storageFor(server);
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  const newId = (): DatasetId => ({ owner: uniqueOwner('faults'), name: 'set' });
  const files = [{ path: 'datapackage.json', content: '{"name":"set"}' }];

  it('retries 5xx answers and completes the write', async () => {
    const id = newId();
    server.faults.inject({
      method: 'POST',
      route: 'POST /repos/{owner}/{repo}/git/trees',
      times: 2,
      kind: { type: 'server-error', status: 502 },
    });
    const revision = await storage.createDataset(id, { files, message: 'c', author });
    expect(await storage.readFile(id, revision.sha, 'datapackage.json')).toBe('{"name":"set"}');
  });

  it('completes a create whose first response was lost, without adopting anyone else', async () => {
    const id = newId();
    server.faults.inject({ method: 'POST', route: 'POST /orgs/{org}/repos', times: 1, kind: { type: 'error-after-effect', status: 502 } });
    const revision = await storage.createDataset(id, { files, message: 'c', author });
    expect((await storage.listRevisions(id, { limit: 10 })).items.map((item) => item.sha)).toEqual([revision.sha]);
  });

  it("refuses a name taken by someone else's repository and leaves it untouched", async () => {
    const id = newId();
    const response = await fetch(`${server.url}/orgs/${id.owner}/repos`, {
      method: 'POST',
      headers: { authorization: 'token other', 'content-type': 'application/json' },
      body: JSON.stringify({ name: id.name, description: 'not a dataset', auto_init: true }),
    });
    expect(response.status).toBe(201);
    await expect(storage.createDataset(id, { files, message: 'c', author })).rejects.toMatchObject({ code: 'DATASET_ALREADY_EXISTS' });
    const repository = (await (await fetch(`${server.url}/repos/${id.owner}/${id.name}`)).json()) as { description: string };
    expect(repository.description).toBe('not a dataset');
    // Not a dataset: never deleted through Metastore either.
    await expect(storage.deleteDataset(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('waits out a primary rate limit (x-ratelimit-reset) and a secondary one (retry-after)', async () => {
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server.faults.inject({
      route: 'GET /repos/{owner}/{repo}/commits/{ref}',
      times: 1,
      kind: { type: 'primary-rate-limit', status: 403, resetInSeconds: 1 },
    });
    expect(await storage.resolveRef(id, 'main')).toBe(sha);
    server.faults.inject({
      route: 'POST /repos/{owner}/{repo}/git/trees',
      times: 1,
      kind: { type: 'secondary-rate-limit', retryAfterSeconds: 1 },
    });
    const next = await storage.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'after limits', author });
    expect(next.parents).toEqual([sha]);
  });

  describe('a rate limit that resets later than GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS', () => {
    // GitHub's own seconds (GITHUB_RETRY_BASE_MS 1000): a client that waited for these resets would hang for an hour, past the test's
    // timeout.
    const patient = () => storageFor(server, { GITHUB_RETRY_BASE_MS: '1000' });
    const refUpdates = () => server.requests.filter((request) => request.path === 'PATCH /repos/{owner}/{repo}/git/refs/{ref}').length;

    it.each([
      ['a primary limit (403)', { type: 'primary-rate-limit', status: 403, resetInSeconds: 3600 }, [3500, 3601]],
      ['a primary limit (429)', { type: 'primary-rate-limit', status: 429, resetInSeconds: 3600 }, [3500, 3601]],
      ['a secondary limit with retry-after', { type: 'secondary-rate-limit', retryAfterSeconds: 120 }, [120, 120]],
      ['a secondary limit without retry-after (a minute, as GitHub asks)', { type: 'secondary-rate-limit' }, [60, 60]],
    ] as const)(
      'fails %s at once with STORAGE_UNAVAILABLE and retryAfterSeconds, asks GitHub once, and writes nothing',
      async (_label, kind, [least, most]) => {
        const client = patient();
        const id = newId();
        const { sha } = await client.createDataset(id, { files, message: 'c', author });
        server.resetRequests();
        server.faults.inject({ route: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}', times: 1, kind });
        const error = await client.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'limited', author }).then(
          () => undefined,
          (failure: unknown) => failure as { code: string; retryAfterSeconds?: number; message: string },
        );
        expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('rate limited for') });
        expect(error?.retryAfterSeconds).toBeGreaterThanOrEqual(least);
        expect(error?.retryAfterSeconds).toBeLessThanOrEqual(most);
        expect(refUpdates()).toBe(1);
        expect(await client.resolveRef(id)).toBe(sha);
      },
    );

    it('caps the total a request waits, not each wait', async () => {
      const client = storageFor(server, { GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: '10' });
      const id = newId();
      const { sha } = await client.createDataset(id, { files, message: 'c', author });
      server.resetRequests();
      server.faults.inject({
        route: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
        times: 2,
        kind: { type: 'secondary-rate-limit', retryAfterSeconds: 6 },
      });
      await expect(
        client.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'limited twice', author }),
      ).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
        retryAfterSeconds: 6,
      });
      // Waited 6 s once; a second 6 s would pass the 10 s cap.
      expect(refUpdates()).toBe(2);
      server.faults.inject({
        route: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
        times: 1,
        kind: { type: 'secondary-rate-limit', retryAfterSeconds: 6 },
      });
      expect(
        (await client.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'limited once', author })).parents,
      ).toEqual([sha]);
    });
  });

  it('survives added latency and a repository that is briefly 404 after creation', async () => {
    server.setLatency(20);
    server.faults.notFoundAfterCreate(2);
    try {
      const id = newId();
      const revision = await storage.createDataset(id, { files, message: 'c', author });
      expect(await storage.resolveRef(id)).toBe(revision.sha);
    } finally {
      server.setLatency(0);
    }
  });

  it('fails a write that keeps failing with a clear error, leaves the head alone, and never leaks the token', async () => {
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server.faults.inject({ route: 'POST /repos/{owner}/{repo}/git/commits', times: 20, kind: { type: 'server-error', status: 500 } });
    const error = await storage.commit(id, { parent: sha, changes: [{ path: 'y.txt', content: 'y' }], message: 'doomed', author }).then(
      () => undefined,
      (failure: unknown) => failure as Error & { code: string; cause?: { status: number; requestId?: string } },
    );
    server.faults.clear();
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', cause: { name: 'GitHubApiError', status: 500 } });
    expect(error?.cause?.requestId).toBeTruthy();
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}))).not.toContain(TOKEN);
    expect(`${error?.message} ${(error?.cause as Error | undefined)?.message}`).not.toContain(TOKEN);
    expect(await storage.resolveRef(id)).toBe(sha);
  });

  it('removes the repository again when creating its first commit fails', async () => {
    const id = newId();
    server.faults.inject({ route: 'POST /repos/{owner}/{repo}/git/commits', times: 20, kind: { type: 'server-error', status: 500 } });
    await expect(storage.createDataset(id, { files, message: 'c', author })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    server.faults.clear();
    expect((await fetch(`${server.url}/repos/${id.owner}/${id.name}`)).status).toBe(404);
  });
});

describe('GitHubStorage: repository details', () => {
  let server: GitHubTestServer;
  beforeAll(async () => {
    server = await startGitHubTestServer();
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  it('reads a datapackage.json larger than 1 MB (raw media type)', async () => {
    const storage = storageFor(server);
    const id: DatasetId = { owner: uniqueOwner('large'), name: 'big' };
    const big = JSON.stringify({ name: 'big', description: 'x'.repeat(1_500_000), resources: [{ name: 'a', path: 'a.csv' }] });
    const { sha } = await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: big }], message: 'c', author });
    const cold = storageFor(server);
    expect(await cold.readFile(id, sha, 'datapackage.json')).toBe(big);
  });

  it('marks dataset repositories with the topic and writes .lfsconfig when an LFS server is configured', async () => {
    const storage = storageFor(server, { GITHUB_LFS_URL: 'https://lfs.example.com/acme', GITHUB_TOPIC: 'metastore-test-dataset' });
    const id: DatasetId = { owner: uniqueOwner('details'), name: 'lfs' };
    const { sha } = await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    expect(await storageFor(server).readFile(id, sha, '.lfsconfig')).toBe('[lfs]\n\turl = https://lfs.example.com/acme\n');
    const repository = (await (await fetch(`${server.url}/repos/${id.owner}/${id.name}`)).json()) as { topics: string[]; private: boolean };
    expect(repository.topics).toEqual(['metastore-test-dataset']);
    expect(repository.private).toBe(true);
    expect((await storage.listDatasets(id.owner, { limit: 10 })).items).toEqual(['lfs']);
  });

  it('creates datasets in the token user’s own account when the owner is GITHUB_USER', async () => {
    const storage = storageFor(server, { GITHUB_USER: 'metastore-test' });
    const id: DatasetId = { owner: 'metastore-test', name: `personal-${Date.now()}` };
    await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    expect((await storage.listDatasets('metastore-test', { limit: 100 })).items).toContain(id.name);
    expect(server.requests.some((request) => request.path === 'POST /user/repos' && request.status === 201)).toBe(true);
  });
});
