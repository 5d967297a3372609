import { DatasetService } from '@metastore/datasets';
import type { DatasetId } from '@metastore/storage';
import { describeDatasetStorageContract, uniqueOwner } from '@metastore/storage/testing';
import { startGitLabTestServer, type GitLabTestServer, type GitLabTestServerOptions } from '../testing';
import { GitLabStorage } from './gitlab.adapter';
import { parseGitLabStorageConfig } from './gitlab.config';

const TOKEN = 'glpat-testTokenThatMustNeverLeak0123';

function storageFor(
  server: GitLabTestServer,
  extra: Record<string, string> = {},
  logger?: { warn(object: object, message: string): void },
) {
  return new GitLabStorage(
    parseGitLabStorageConfig({
      GITLAB_URL: server.url,
      GITLAB_TOKEN: TOKEN,
      GITLAB_ROOT_GROUP: 'metastore',
      GITLAB_RETRY_BASE_MS: '5',
      ...extra,
    }),
    logger ? { logger } : {},
  );
}

/** Creates the group `path` and its parents, as an operator does once before configuring GITLAB_ROOT_GROUP. */
async function createGroup(server: GitLabTestServer, path: string): Promise<void> {
  let parentId: number | undefined;
  for (const segment of path.split('/')) {
    const response = await fetch(`${server.url}/api/v4/groups`, {
      method: 'POST',
      headers: { 'private-token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: segment, path: segment, ...(parentId === undefined ? {} : { parent_id: parentId }) }),
    });
    expect(response.status).toBe(201);
    parentId = ((await response.json()) as { id: number }).id;
  }
}

/** A GitLab test server holding the root groups the specs configure. */
async function startServer(options: GitLabTestServerOptions = {}): Promise<GitLabTestServer> {
  const server = await startGitLabTestServer(options);
  await createGroup(server, 'metastore');
  await createGroup(server, 'org/metastore');
  return server;
}

/** A server for one describe block, its violations checked after each test. */
function serverForEach(options: GitLabTestServerOptions = {}): () => GitLabTestServer {
  let server: GitLabTestServer;
  beforeAll(async () => {
    server = await startServer(options);
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());
  return () => server;
}

describeDatasetStorageContract(
  'gitlab (local GitLab API test server, real HTTP, real gitbeaker), root group with a subgroup per owner',
  async () => {
    const server = await startServer();
    return {
      storage: storageFor(server, { GITLAB_ROOT_GROUP: 'org/metastore' }),
      teardown: async () => {
        expect(server.violations).toEqual([]);
        await server.close();
      },
    };
  },
);

describeDatasetStorageContract('gitlab, delayed project deletion (GitLab 18, gitlab.com)', async () => {
  const server = await startServer({ projectDeletion: 'delayed' });
  return {
    storage: storageFor(server, { GITLAB_OAUTH_TOKEN: TOKEN, GITLAB_TOKEN: '' }),
    teardown: async () => {
      expect(server.violations).toEqual([]);
      await server.close();
    },
  };
});

describeDatasetStorageContract('gitlab, owners as top-level groups (no root group)', async () => {
  const server = await startGitLabTestServer();
  return {
    storage: storageFor(server, { GITLAB_ROOT_GROUP: '', GITLAB_OWNERS: 'zeta, acme' }),
    configuredOwners: ['acme', 'zeta'],
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

describe('GitLabStorage: API-call budget (counted at the test server)', () => {
  const server = serverForEach();

  /** Requests GitLab counts against its rate limit: every one, 304s included (Rack::Attack counts before answering). */
  function counted(): number {
    return server().requests.filter((request) => request.rateLimited).length;
  }
  /** Requests answered with a body: a revalidation answered 304 transfers nothing and costs GitLab no rendering. */
  function answered(): number {
    return server().requests.filter((request) => request.status !== 304).length;
  }
  async function measureAnswered(work: () => Promise<unknown>): Promise<{ counted: number; answered: number }> {
    server().resetRequests();
    await work();
    return { counted: counted(), answered: answered() };
  }
  async function measure(work: () => Promise<unknown>): Promise<number> {
    server().resetRequests();
    await work();
    return counted();
  }

  it('creates a dataset with any number of files in 2 requests once the owner is known (project, one commit)', async () => {
    const storage = storageFor(server());
    const owner = uniqueOwner('budget');
    const files = Array.from({ length: 25 }, (_, index) => ({ path: `data/part-${index}.csv`, content: `pointer ${index}\n` }));
    const first = await measure(() =>
      storage.createDataset({ owner, name: 'first' }, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author }),
    );
    // A new owner costs its subgroup once: looked up (404), root group looked up, created.
    expect(first).toBeLessThanOrEqual(5);
    const calls = await measure(() =>
      storage.createDataset(
        { owner, name: 'many-files' },
        { files: [{ path: 'datapackage.json', content: '{}' }, ...files], message: 'c', author },
      ),
    );
    expect(calls).toBeLessThanOrEqual(2);
    expect(server().requests.map((request) => request.path)).toEqual(['POST /projects', 'POST /projects/:id/repository/commits']);
  });

  it('updates in 1 request with a known head (If-Match), 2 without, and makes no empty commits', async () => {
    const storage = storageFor(server());
    const service = new DatasetService({ storage });
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'update' };
    const created = await service.create(id, descriptor('v1'), { author });
    expect(await measure(() => service.patch(id, { title: 'v2' }, { author }))).toBeLessThanOrEqual(2);
    const head = await storage.resolveRef(id);
    expect(await measure(() => service.patch(id, { title: 'v3' }, { author, ifMatch: head }))).toBe(1);
    expect(created.revision.parents).toEqual([]);
    // A cold process pays for the parent's descriptor once (its last commit is the guard), then commits.
    const cold = new DatasetService({ storage: storageFor(server()) });
    const coldHead = await storage.resolveRef(id);
    expect(await measure(() => cold.patch(id, { title: 'v4' }, { author, ifMatch: coldHead }))).toBe(2);
  });

  it('reads at head in 1 request uncached and 1 revalidation (304, no body) when cached; at a sha 1 then 0; at a tag 1 then a 304', async () => {
    const writer = storageFor(server());
    const service = new DatasetService({ storage: writer });
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'reads' };
    const { revision } = await service.create(id, descriptor('v1'), { author });
    await writer.createTag(id, { name: 'v1', target: revision.sha, description: 'first', author });

    const reader = new DatasetService({ storage: storageFor(server()) });
    expect(await measure(() => reader.read(id))).toBe(1);
    expect(await measureAnswered(() => reader.read(id))).toEqual({ counted: 1, answered: 0 });
    expect(server().requests.map((request) => request.status)).toEqual([304]);

    const atSha = new DatasetService({ storage: storageFor(server()) });
    expect(await measure(() => atSha.read(id, revision.sha))).toBe(1);
    expect(await measure(() => atSha.read(id, revision.sha))).toBe(0);

    expect(await measure(() => reader.read(id, 'v1'))).toBe(1);
    expect(await measureAnswered(() => reader.read(id, 'v1'))).toEqual({ counted: 1, answered: 0 });
  });

  it('lists revisions in 1 request per page of up to 100', async () => {
    const storage = storageFor(server());
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

  it('creates a tag in 1 request and lists tags in 1 (a 304 when unchanged)', async () => {
    const storage = storageFor(server());
    const id: DatasetId = { owner: uniqueOwner('budget'), name: 'tags' };
    const { sha } = await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    expect(await measure(() => storage.createTag(id, { name: 'v1', target: sha, description: 'one', author }))).toBe(1);
    for (const name of ['v2', 'v3', 'v4']) await storage.createTag(id, { name, target: sha, description: name, author });
    let listed: Awaited<ReturnType<GitLabStorage['listTags']>> | undefined;
    expect(
      await measure(async () => {
        listed = await storage.listTags(id, { limit: 10 });
      }),
    ).toBe(1);
    expect(listed?.items.map((tag) => tag.name)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(await measureAnswered(() => storage.listTags(id, { limit: 10 }))).toEqual({ counted: 1, answered: 0 });
  });
});

describe('GitLabStorage: the compare-and-swap is GitLab’s last_commit_id', () => {
  const server = serverForEach();

  it('lets one of several writers on the same parent win, from separate processes (no shared cache or lock)', async () => {
    const id: DatasetId = { owner: uniqueOwner('cas'), name: 'race' };
    const first = await storageFor(server()).createDataset(id, {
      files: [
        { path: 'datapackage.json', content: '{"v":0}' },
        { path: 'data/a.csv', content: 'a' },
      ],
      message: 'c',
      author,
    });
    const writers = Array.from({ length: 6 }, () => storageFor(server()));
    const results = await Promise.allSettled(
      writers.map((writer, index) =>
        writer.commit(id, {
          parent: first.sha,
          changes:
            index % 2 === 0 ? [{ path: 'datapackage.json', content: `{"writer":${index}}` }] : [{ path: 'data/a.csv', delete: true }],
          message: `writer ${index}`,
          author,
        }),
      ),
    );
    const winners = results.filter((result) => result.status === 'fulfilled');
    // Writers touching the descriptor conflict with each other, and the deletes with each other: one of each kind can land,
    // the second on top of the first (GitLab guards the files a commit touches).
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.length).toBeLessThanOrEqual(2);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'REVISION_CONFLICT' });
    const history = await storageFor(server()).listRevisions(id, { limit: 10 });
    expect(history.items).toHaveLength(1 + winners.length);
  });

  it('refuses a stale parent from a cold process (the guard is read from GitLab) and leaves the head alone', async () => {
    const writer = storageFor(server());
    const id: DatasetId = { owner: uniqueOwner('cas'), name: 'stale' };
    const first = await writer.createDataset(id, { files: [{ path: 'datapackage.json', content: '{"v":0}' }], message: 'c', author });
    const second = await writer.commit(id, {
      parent: first.sha,
      changes: [{ path: 'datapackage.json', content: '{"v":1}' }],
      message: 'v1',
      author,
    });
    await expect(
      storageFor(server()).commit(id, {
        parent: first.sha,
        changes: [{ path: 'datapackage.json', content: '{"v":"lost"}' }],
        message: 'x',
        author,
      }),
    ).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
    expect(await storageFor(server()).resolveRef(id)).toBe(second.sha);
  });

  it('refuses to send an unguarded update when the raw read came without X-Gitlab-Last-Commit-Id (a proxy stripped it)', async () => {
    const writer = storageFor(server());
    const id: DatasetId = { owner: uniqueOwner('cas'), name: 'unguarded' };
    const first = await writer.createDataset(id, { files: [{ path: 'datapackage.json', content: '{"v":0}' }], message: 'c', author });
    const second = await writer.commit(id, {
      parent: first.sha,
      changes: [{ path: 'datapackage.json', content: '{"v":1}' }],
      message: 'v1',
      author,
    });
    const realFetch = globalThis.fetch;
    const stripping = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const response = await realFetch(input, init);
      if (!String(input).includes('/raw')) return response;
      const headers = new Headers(response.headers);
      headers.delete('x-gitlab-last-commit-id');
      return new Response(await response.arrayBuffer(), { status: response.status, statusText: response.statusText, headers });
    });
    try {
      await expect(
        storageFor(server()).commit(id, {
          parent: first.sha,
          changes: [{ path: 'datapackage.json', content: '{"v":"lost"}' }],
          message: 'x',
          author,
        }),
      ).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      stripping.mockRestore();
    }
    expect(await storageFor(server()).resolveRef(id)).toBe(second.sha);
  });
});

describe('GitLabStorage: surviving GitLab faults', () => {
  const server = serverForEach();
  const newId = (): DatasetId => ({ owner: uniqueOwner('faults'), name: 'set' });
  const files = [{ path: 'datapackage.json', content: '{"name":"set"}' }];

  it('retries 5xx on reads and completes them', async () => {
    const storage = storageFor(server());
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().faults.inject({
      route: 'GET /projects/:id/repository/files/:file_path/raw',
      times: 2,
      kind: { type: 'server-error', status: 502 },
    });
    expect(await storageFor(server()).readFile(id, sha, 'datapackage.json')).toBe('{"name":"set"}');
  });

  it('abandons an attempt that hangs past GITLAB_REQUEST_TIMEOUT_MS and reads again', async () => {
    const storage = storageFor(server(), { GITLAB_REQUEST_TIMEOUT_MS: '200' });
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().resetRequests();
    server().faults.inject({ route: 'GET /projects/:id/repository/files/:file_path/raw', times: 1, kind: { type: 'latency', ms: 4000 } });
    const logged: string[] = [];
    const reader = storageFor(server(), { GITLAB_REQUEST_TIMEOUT_MS: '200' }, { warn: (_object, message) => logged.push(message) });
    expect(await reader.readFile(id, sha, 'datapackage.json')).toBe('{"name":"set"}');
    expect(logged).toEqual(['GitLab did not answer; retrying']);
  });

  it('completes a commit whose connection was cut after it took effect', async () => {
    const storage = storageFor(server());
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().faults.inject({ route: 'POST /projects/:id/repository/commits', times: 1, kind: { type: 'cut-after-effect' } });
    const next = await storage.commit(id, {
      parent: sha,
      changes: [{ path: 'datapackage.json', content: '{"cut":1}' }],
      message: 'cut',
      author,
    });
    expect((await storage.listRevisions(id, { limit: 10 })).items.map((item) => item.sha)).toEqual([next.sha, sha]);
  });

  it('completes a create whose project answer was lost, without a duplicate and without adopting anyone else', async () => {
    const storage = storageFor(server());
    const id = newId();
    await storage.createDataset({ owner: id.owner, name: 'warm-up' }, { files, message: 'c', author });
    server().resetRequests();
    server().faults.inject({ route: 'POST /projects', times: 1, kind: { type: 'error-after-effect', status: 502 } });
    const revision = await storage.createDataset(id, { files, message: 'c', author });
    expect((await storage.listRevisions(id, { limit: 10 })).items.map((item) => item.sha)).toEqual([revision.sha]);
    expect(server().requests.filter((request) => request.path === 'POST /projects')).toHaveLength(1);
    expect((await storage.listDatasets(id.owner, { limit: 10 })).items).toEqual(['set', 'warm-up']);
  });

  it('repeats a create whose project request failed before taking effect', async () => {
    const storage = storageFor(server());
    const id = newId();
    server().faults.inject({ route: 'POST /projects', times: 1, kind: { type: 'server-error', status: 503 } });
    const revision = await storage.createDataset(id, { files, message: 'c', author });
    expect(await storage.resolveRef(id)).toBe(revision.sha);
  });

  it('adopts a commit whose answer was lost instead of failing it as a conflict', async () => {
    const storage = storageFor(server());
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().faults.inject({ route: 'POST /projects/:id/repository/commits', times: 1, kind: { type: 'error-after-effect', status: 502 } });
    const next = await storage.commit(id, {
      parent: sha,
      changes: [{ path: 'datapackage.json', content: '{"v":2}' }],
      message: 'v2',
      author,
    });
    expect(next.parents).toEqual([sha]);
    const history = await storage.listRevisions(id, { limit: 10 });
    expect(history.items.map((item) => item.sha)).toEqual([next.sha, sha]);
  });

  it("refuses a path taken by someone else's project and leaves it untouched", async () => {
    const storage = storageFor(server());
    const id = newId();
    await storage.createDataset({ owner: id.owner, name: 'warm-up' }, { files, message: 'c', author });
    const group = (await (
      await fetch(`${server().url}/api/v4/groups/${encodeURIComponent(`metastore/${id.owner}`)}`, {
        headers: { 'private-token': 'other' },
      })
    ).json()) as { id: number };
    const response = await fetch(`${server().url}/api/v4/projects`, {
      method: 'POST',
      headers: { 'private-token': 'other', 'content-type': 'application/json' },
      body: JSON.stringify({ name: id.name, path: id.name, namespace_id: group.id, description: 'not a dataset' }),
    });
    expect(response.status).toBe(201);
    await expect(storage.createDataset(id, { files, message: 'c', author })).rejects.toMatchObject({ code: 'DATASET_ALREADY_EXISTS' });
    await expect(storage.deleteDataset(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    const project = (await (
      await fetch(`${server().url}/api/v4/projects/${encodeURIComponent(`metastore/${id.owner}/${id.name}`)}`, {
        headers: { 'private-token': 'other' },
      })
    ).json()) as { description: string };
    expect(project.description).toBe('not a dataset');
  });

  it('waits out a 429 for its Retry-After, and for RateLimit-Reset without one', async () => {
    const storage = storageFor(server());
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().resetRequests();
    server().faults.inject({
      route: 'POST /projects/:id/repository/commits',
      times: 1,
      kind: { type: 'rate-limit', retryAfterSeconds: 2 },
    });
    const next = await storage.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'after a limit', author });
    expect(next.parents).toEqual([sha]);
    server().faults.inject({
      route: 'GET /projects/:id/repository/commits/:sha',
      times: 1,
      kind: { type: 'rate-limit', resetInSeconds: 1 },
    });
    // A cold client: the revision is not cached, so GitLab is asked.
    expect((await storageFor(server()).getRevision(id, next.sha)).sha).toBe(next.sha);
    expect(server().requests.filter((request) => request.status === 429)).toHaveLength(2);
    expect(storage.budget.requests).toBeGreaterThan(0);
    expect(storage.budget.remaining).toEqual(expect.any(Number));
  });

  it('fails a 429 beyond GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS at once, with retryAfterSeconds, asking GitLab once', async () => {
    // GitLab's own seconds (GITLAB_RETRY_BASE_MS 1000): a client that waited would sleep an hour.
    const patient = storageFor(server(), { GITLAB_RETRY_BASE_MS: '1000' });
    const id = newId();
    const { sha } = await patient.createDataset(id, { files, message: 'c', author });
    server().resetRequests();
    server().faults.inject({
      route: 'POST /projects/:id/repository/commits',
      times: 1,
      kind: { type: 'rate-limit', retryAfterSeconds: 3600 },
    });
    const error = await patient.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'limited', author }).then(
      () => undefined,
      (failure: unknown) => failure as { code: string; retryAfterSeconds?: number; message: string; cause?: { status?: number } },
    );
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryAfterSeconds: 3600, cause: { status: 429 } });
    expect(error?.message).toContain('rate limited for 3600 s');
    expect(server().requests.filter((request) => request.path === 'POST /projects/:id/repository/commits')).toHaveLength(1);
    expect(await patient.resolveRef(id)).toBe(sha);
  });

  it('caps the total a request waits, not each wait', async () => {
    const storage = storageFor(server(), { GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS: '3', GITLAB_RETRY_BASE_MS: '20' });
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().faults.inject({
      route: 'POST /projects/:id/repository/commits',
      times: 2,
      kind: { type: 'rate-limit', retryAfterSeconds: 2 },
    });
    await expect(
      storage.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'twice', author }),
    ).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      retryAfterSeconds: 2,
    });
    server().faults.clear();
  });

  it('fails a write that keeps failing with a clear error, the status and request id kept, and never logs or leaks the token', async () => {
    const logged: unknown[] = [];
    const storage = storageFor(server(), {}, { warn: (object, message) => logged.push({ object, message }) });
    const id = newId();
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    server().faults.inject({
      route: 'GET /projects/:id/repository/files/:file_path/raw',
      times: 2,
      kind: { type: 'server-error', status: 503 },
    });
    server().faults.inject({ route: 'POST /projects/:id/repository/commits', times: 20, kind: { type: 'server-error', status: 500 } });
    const error = await storage.commit(id, { parent: sha, changes: [{ path: 'y.txt', content: 'y' }], message: 'doomed', author }).then(
      () => undefined,
      (failure: unknown) => failure as Error & { code: string; cause?: { status: number; requestId?: string } },
    );
    server().faults.clear();
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', cause: { name: 'GitLabApiError', status: 500 } });
    expect(error?.cause?.requestId).toBeTruthy();
    expect(logged.length).toBeGreaterThan(0);
    for (const text of [JSON.stringify(logged), JSON.stringify(error, Object.getOwnPropertyNames(error ?? {})), String(error?.cause)]) {
      expect(text).not.toContain(TOKEN);
    }
    expect(await storage.resolveRef(id)).toBe(sha);
  });

  it('removes the project again when its first commit fails', async () => {
    const storage = storageFor(server());
    const id = newId();
    server().faults.inject({ route: 'POST /projects/:id/repository/commits', times: 20, kind: { type: 'server-error', status: 500 } });
    await expect(storage.createDataset(id, { files, message: 'c', author })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    server().faults.clear();
    await expect(storage.resolveRef(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});

describe('GitLabStorage: projects and groups', () => {
  const server = serverForEach({ projectDeletion: 'delayed' });

  it('marks projects with the topic, private, in a subgroup per owner of a nested root group', async () => {
    const storage = storageFor(server(), { GITLAB_ROOT_GROUP: 'org/metastore', GITLAB_TOPIC: 'metastore-test-dataset' });
    const id: DatasetId = { owner: uniqueOwner('groups'), name: 'marked' };
    await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    expect(storage.locationOf(id)).toBe(`${server().url}/org/metastore/${id.owner}/marked`);
    const project = (await (
      await fetch(`${server().url}/api/v4/projects/${encodeURIComponent(`org/metastore/${id.owner}/marked`)}`, {
        headers: { 'private-token': TOKEN },
      })
    ).json()) as { topics: string[]; visibility: string };
    expect(project).toMatchObject({ topics: ['metastore-test-dataset'], visibility: 'private' });
    expect(await storage.listOwners()).toContain(id.owner);
  });

  it("creates a new owner's first dataset while a listing of that owner (which makes no group) is under way", async () => {
    const storage = storageFor(server());
    const id: DatasetId = { owner: uniqueOwner('groups'), name: 'first' };
    const [listed, created] = await Promise.all([
      storage.listDatasets(id.owner, { limit: 10 }),
      storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author }),
    ]);
    expect(listed).toEqual({ items: [] });
    expect(await storage.resolveRef(id)).toBe(created.sha);
    expect((await storage.listDatasets(id.owner, { limit: 10 })).items).toEqual(['first']);
  });

  it('deletes at once where the instance delays deletion, freeing the name', async () => {
    const storage = storageFor(server());
    const id: DatasetId = { owner: uniqueOwner('groups'), name: 'delayed' };
    await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    server().resetRequests();
    await storage.deleteDataset(id);
    expect(server().requests.filter((request) => request.path === 'DELETE /projects/:id')).toHaveLength(1);
    await expect(storage.resolveRef(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect((await storage.listDatasets(id.owner, { limit: 10 })).items).toEqual([]);
    await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{"again":true}' }], message: 'c', author });
    expect(await storage.readFile(id, await storage.resolveRef(id), 'datapackage.json')).toBe('{"again":true}');
  });
});

describe('GitLabStorage: tag descriptions survive GitLab’s strip of tag messages', () => {
  const server = serverForEach();

  it('keeps leading and trailing whitespace and the requested tagger, read back by another process', async () => {
    const writer = storageFor(server());
    const id: DatasetId = { owner: uniqueOwner('tags'), name: 'strip' };
    const { sha } = await writer.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    const description = '\n  Release notes, indented\n\n';
    await writer.createTag(id, { name: 'v1', target: sha, description, author });
    await writer.replaceTag(id, { name: 'v1', target: sha, description: ` ${description}`, author: { name: 'Bo', email: 'bo@x.org' } });

    // GitLab kept the message stripped: nothing at either end for the strip to take.
    const project = encodeURIComponent(`metastore/${id.owner}/${id.name}`);
    const stored = await fetch(`${server().url}/api/v4/projects/${project}/repository/tags/v1`, { headers: { 'private-token': TOKEN } });
    const { message } = (await stored.json()) as { message: string };
    expect(message).toBe(message.trim());

    const reader = storageFor(server());
    const expected = { description: ` ${description}`, author: { name: 'Bo', email: 'bo@x.org' } };
    expect(await reader.getTag(id, 'v1')).toMatchObject(expected);
    expect((await reader.listTags(id, { limit: 10 })).items).toEqual([expect.objectContaining(expected)]);
  });
});
