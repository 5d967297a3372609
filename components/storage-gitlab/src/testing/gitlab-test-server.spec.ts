import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Gitlab } from '@gitbeaker/rest';
import { type GitLabTestServer, GITLAB_ROUTES, startGitLabTestServer } from './gitlab-test-server';
import { SUCCESS_SCHEMAS } from './gitlab-schemas';
import { seedGitLabProjects } from './seed-projects';

type Client = InstanceType<typeof Gitlab<false>>;

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++sequence}`;

/** The status and GitLab's description (its `message` or `error`; an object of field errors as JSON) of a rejected gitbeaker call. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; description: string }> {
  const error = await promise.then(
    () => undefined,
    (rejected: unknown) => rejected as { cause?: { description: string; response: Response } },
  );
  if (!error?.cause) throw new Error('expected the request to fail with an HTTP error');
  return { status: error.cause.response.status, description: error.cause.description };
}

describe('GitLab test server, through @gitbeaker/rest', () => {
  let server: GitLabTestServer;
  let api: Client;

  beforeAll(async () => {
    server = await startGitLabTestServer();
    api = new Gitlab({ host: server.url, token: 'any-token' });
  });
  afterEach(() => {
    server.faults.clear();
    // Every answer the server sent in the test matched the schemas written from GitLab's documentation.
    expect(server.violations).toEqual([]);
  });
  afterAll(() => server.close());

  /** A group `acme-*` with a subgroup `sub` and a project `ds` in it, made with gitbeaker. */
  async function project(options: { topics?: string[] } = {}): Promise<{ path: string; id: number; groupPath: string }> {
    const top = await api.Groups.create(unique('Acme'), unique('acme'));
    const sub = await api.Groups.create('Sub', 'sub', { parentId: top.id });
    const created = await api.Projects.create({ name: 'ds', namespaceId: sub.id, topics: options.topics ?? ['metastore-dataset'] });
    return { path: created.path_with_namespace, id: created.id, groupPath: top.full_path };
  }

  it('creates groups and subgroups and finds them by id or URL-encoded full path', async () => {
    const top = await api.Groups.create('Acme Corp', unique('acme'), { description: 'datasets' });
    const sub = await api.Groups.create('Sub', 'sub', { parentId: top.id });
    expect(sub).toMatchObject({ full_path: `${top.path}/sub`, parent_id: top.id, full_name: 'Acme Corp / Sub' });
    expect((await api.Groups.show(`${top.path}/sub`)).id).toBe(sub.id);
    expect((await api.Groups.show(sub.id)).full_path).toBe(`${top.path}/sub`);
    expect((await api.Groups.allSubgroups(top.id)).map((group) => group.path)).toEqual(['sub']);
    expect((await api.Namespaces.show(`${top.path}/sub`)).kind).toBe('group');
    expect(await failure(api.Groups.create('Sub', 'sub', { parentId: top.id }))).toMatchObject({ status: 400 });
    expect(await failure(api.Groups.show(`${top.path}/nothing`))).toMatchObject({ status: 404, description: '404 Group Not Found' });
  });

  it('creates projects in a namespace with topics and finds them by id or URL-encoded path (acme%2Fsub%2Fds)', async () => {
    const { path, id, groupPath } = await project({ topics: ['metastore-dataset', 'climate'] });
    const shown = await api.Projects.show(path);
    expect(shown).toMatchObject({ id, path: 'ds', empty_repo: true, default_branch: null, topics: ['metastore-dataset', 'climate'] });
    expect(shown.namespace).toMatchObject({ kind: 'group', full_path: `${groupPath}/sub` });
    expect((await api.Projects.show(id)).path_with_namespace).toBe(path);
    const response = await fetch(`${server.url}/api/v4/projects/${encodeURIComponent(path)}`, { headers: { 'PRIVATE-TOKEN': 'x' } });
    expect(response.status).toBe(200);
    expect(await failure(api.Projects.create({ name: 'ds', namespaceId: shown.namespace.id }))).toMatchObject({
      status: 400,
      description: JSON.stringify({ name: ['has already been taken'], path: ['has already been taken'] }),
    });
    expect(await failure(api.Projects.show(`${groupPath}/sub/missing`))).toMatchObject({
      status: 404,
      description: '404 Project Not Found',
    });
  });

  it('commits actions (create, update, move, delete) in one commit each, and reads files as JSON, raw and HEAD metadata', async () => {
    const { path } = await project();
    const first = await api.Commits.create(path, 'main', 'Add files', [
      { action: 'create', filePath: 'datapackage.json', content: '{"name":"ds"}\n' },
      { action: 'create', filePath: 'data/a.csv', content: Buffer.from('x,y\n1,2\n').toString('base64'), encoding: 'base64' },
    ]);
    expect(first).toMatchObject({ parent_ids: [], title: 'Add files', stats: { additions: 3, deletions: 0, total: 3 } });
    const second = await api.Commits.create(path, 'main', 'Change and move', [
      { action: 'update', filePath: 'datapackage.json', content: '{"name":"ds2"}\n', lastCommitId: first.id },
      { action: 'move', filePath: 'data/b.csv', previousPath: 'data/a.csv' },
    ]);
    expect(second.parent_ids).toEqual([first.id]);

    const file = await api.RepositoryFiles.show(path, 'datapackage.json', 'main');
    expect(file).toMatchObject({ file_path: 'datapackage.json', encoding: 'base64', commit_id: second.id, last_commit_id: second.id });
    expect(Buffer.from(file.content, 'base64').toString()).toBe('{"name":"ds2"}\n');
    expect(await api.RepositoryFiles.showRaw(path, 'data/b.csv', 'main')).toBe('x,y\n1,2\n');
    expect(await api.RepositoryFiles.showRaw(path, 'datapackage.json', first.id)).toBe('{"name":"ds"}\n');
    const raw = await api.RepositoryFiles.showRaw(path, 'data/b.csv', 'main', { showExpanded: true });
    expect(raw.headers['x-gitlab-last-commit-id']).toBe(second.id);
    expect(raw.headers.etag).toBeUndefined();
    const head = await fetch(`${server.url}/api/v4/projects/${encodeURIComponent(path)}/repository/files/data%2Fb.csv?ref=main`, {
      method: 'HEAD',
      headers: { 'PRIVATE-TOKEN': 'x' },
    });
    expect([head.status, head.headers.get('x-gitlab-blob-id'), head.headers.get('x-gitlab-size')]).toEqual([
      200,
      raw.headers['x-gitlab-blob-id'],
      '8',
    ]);

    const third = await api.Commits.create(path, 'main', 'Remove', [{ action: 'delete', filePath: 'data/b.csv', lastCommitId: second.id }]);
    expect(await failure(api.RepositoryFiles.show(path, 'data/b.csv', third.id))).toMatchObject({
      status: 404,
      description: '404 File Not Found',
    });
    expect(await failure(api.RepositoryFiles.show(path, 'data/b.csv', 'nowhere'))).toMatchObject({ status: 404 });
    expect((await api.Projects.show(path)).empty_repo).toBe(false);
  });

  it('creates, updates and deletes single files through the repository files API, with its own stale message', async () => {
    const { path } = await project();
    expect(await api.RepositoryFiles.create(path, 'docs/readme.md', 'main', '# Hello\n', 'Add readme')).toEqual({
      file_path: 'docs/readme.md',
      branch: 'main',
    });
    const first = await api.RepositoryFiles.show(path, 'docs/readme.md', 'main');
    await api.RepositoryFiles.edit(path, 'docs/readme.md', 'main', '# Hello again\n', 'Edit readme', {
      lastCommitId: first.last_commit_id,
    });
    expect(
      await failure(api.RepositoryFiles.edit(path, 'docs/readme.md', 'main', 'stale', 'Stale', { lastCommitId: first.last_commit_id })),
    ).toEqual({ status: 400, description: 'You are attempting to update a file that has changed since you started editing it.' });
    expect(await failure(api.RepositoryFiles.create(path, 'docs/readme.md', 'main', 'x', 'Again'))).toMatchObject({ status: 400 });
    const blob = await fetch(`${server.url}/api/v4/projects/${encodeURIComponent(path)}/repository/blobs/${first.blob_id}/raw`);
    expect(await blob.text()).toBe('# Hello\n');
    await api.RepositoryFiles.remove(path, 'docs/readme.md', 'main', 'Remove readme');
    expect((await failure(api.RepositoryFiles.show(path, 'docs/readme.md', 'main'))).status).toBe(404);
    expect((await api.Commits.all(path)).map((commit) => commit.title)).toEqual(['Remove readme', 'Edit readme', 'Add readme']);
  });

  it('refuses a stale last_commit_id, an existing file and a missing one with 400, as GitLab does, and keeps the branch', async () => {
    const { path } = await project();
    const first = await api.Commits.create(path, 'main', 'one', [{ action: 'create', filePath: 'a.json', content: '1' }]);
    const second = await api.Commits.create(path, 'main', 'two', [
      { action: 'update', filePath: 'a.json', content: '2', lastCommitId: first.id },
    ]);
    expect(
      await failure(
        api.Commits.create(path, 'main', 'stale', [{ action: 'update', filePath: 'a.json', content: '3', lastCommitId: first.id }]),
      ),
    ).toEqual({
      status: 400,
      description: 'The file has changed since you started editing it: a.json',
    });
    expect(
      await failure(api.Commits.create(path, 'main', 'again', [{ action: 'create', filePath: 'a.json', content: 'x' }])),
    ).toMatchObject({
      status: 400,
      description: 'A file with this name already exists',
    });
    expect(await failure(api.Commits.create(path, 'main', 'gone', [{ action: 'delete', filePath: 'b.json' }]))).toMatchObject({
      status: 400,
      description: "A file with this name doesn't exist",
    });
    expect((await api.Commits.show(path, 'main')).id).toBe(second.id);
  });

  it('lets exactly one of two concurrent commits on the same head land', async () => {
    const { path } = await project();
    const first = await api.Commits.create(path, 'main', 'one', [{ action: 'create', filePath: 'a.json', content: '1' }]);
    const writes = await Promise.allSettled(
      ['x', 'y', 'z'].map((content) =>
        api.Commits.create(path, 'main', content, [{ action: 'update', filePath: 'a.json', content, lastCommitId: first.id }]),
      ),
    );
    expect(writes.filter((write) => write.status === 'fulfilled')).toHaveLength(1);
    const history = await api.Commits.all(path, { refName: 'main' });
    expect(history).toHaveLength(2);
  });

  it('starts a branch from start_sha, lists branches, the tree, a commit diff and a comparison', async () => {
    const { path } = await project();
    const first = await api.Commits.create(path, 'main', 'one', [
      { action: 'create', filePath: 'a.json', content: 'a\n' },
      { action: 'create', filePath: 'dir/b.json', content: 'b\n' },
    ]);
    const second = await api.Commits.create(path, 'main', 'two', [{ action: 'update', filePath: 'a.json', content: 'a2\n' }]);
    const side = await api.Commits.create(path, 'side', 'side', [{ action: 'create', filePath: 'c.json', content: 'c\n' }], {
      startSha: first.id,
    });
    expect(side.parent_ids).toEqual([first.id]);
    expect(
      await failure(
        api.Commits.create(path, 'side', 'again', [{ action: 'create', filePath: 'd.json', content: 'd' }], { startSha: first.id }),
      ),
    ).toMatchObject({ status: 400 });
    expect((await api.Branches.all(path)).map((branch) => [branch.name, branch.default])).toEqual([
      ['main', true],
      ['side', false],
    ]);
    const made = await api.Branches.create(path, 'feature', second.id);
    expect(made.commit.id).toBe(second.id);
    expect((await api.Branches.show(path, 'feature')).name).toBe('feature');
    await api.Branches.remove(path, 'feature');
    expect(await failure(api.Branches.show(path, 'feature'))).toMatchObject({ status: 404, description: '404 Branch Not Found' });

    const tree = await api.Repositories.allRepositoryTrees(path, { recursive: true, ref: 'main' });
    expect(tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['a.json', 'blob'],
      ['dir', 'tree'],
      ['dir/b.json', 'blob'],
    ]);
    const diff = await api.Commits.showDiff(path, second.id);
    expect(diff).toEqual([
      expect.objectContaining({ old_path: 'a.json', new_path: 'a.json', diff: '@@ -1 +1 @@\n-a\n+a2\n', new_file: false }),
    ]);
    const comparison = await api.Repositories.compare(path, 'side', 'main');
    expect(comparison.commits!.map((commit) => commit.id)).toEqual([second.id]);
    expect(comparison.diffs!.map((entry) => entry.new_path)).toEqual(['a.json']);
  });

  it('creates annotated tags with a message, lists, shows and deletes them, with GitLab 400s in code', async () => {
    const { path } = await project();
    const commit = await api.Commits.create(path, 'main', 'one', [{ action: 'create', filePath: 'a.json', content: '1' }]);
    const tag = await api.Tags.create(path, 'v1', 'main', { message: 'First release' });
    expect(tag).toMatchObject({ name: 'v1', message: 'First release', commit: { id: commit.id } });
    expect(tag.target).not.toBe(commit.id);
    await api.Tags.create(path, 'light', commit.id);
    expect((await api.Tags.show(path, 'light')).target).toBe(commit.id);
    expect((await api.Tags.all(path, { orderBy: 'name', sort: 'asc' })).map((each) => each.name)).toEqual(['light', 'v1']);
    expect(await failure(api.Tags.create(path, 'v1', 'main'))).toMatchObject({ status: 400, description: 'Tag v1 already exists' });
    expect(await failure(api.Tags.create(path, 'v2', 'nowhere'))).toMatchObject({ status: 400 });
    await api.Tags.remove(path, 'v1');
    expect(await failure(api.Tags.show(path, 'v1'))).toMatchObject({ status: 404, description: '404 Tag Not Found' });
  });

  it('strips tag messages as Tags::CreateService does (Ruby strip): a blank message makes a lightweight tag', async () => {
    const { path } = await project();
    const commit = await api.Commits.create(path, 'main', 'one', [{ action: 'create', filePath: 'a.json', content: '1' }]);
    const tag = await api.Tags.create(path, 'v1', 'main', { message: ' \n\tRelease\n\nnotes\n \r\n\f\v' });
    expect(tag).toMatchObject({ message: 'Release\n\nnotes' });
    expect((await api.Tags.show(path, 'v1')).message).toBe('Release\n\nnotes');
    const blank = await api.Tags.create(path, 'blank', 'main', { message: ' \n\t ' });
    expect(blank).toMatchObject({ message: '', target: commit.id });
  });

  it('paginates commits with GitLab offset headers, which gitbeaker follows', async () => {
    const { path } = await project();
    for (let index = 0; index < 5; index++) {
      await api.Commits.create(path, 'main', `commit ${index}`, [
        { action: index === 0 ? 'create' : 'update', filePath: 'a.json', content: String(index) },
      ]);
    }
    const page = await api.Commits.all(path, { refName: 'main', perPage: 2, page: 2, showExpanded: true, maxPages: 1 });
    expect(page.data.map((commit) => commit.title)).toEqual(['commit 2', 'commit 1']);
    expect(page.paginationInfo).toMatchObject({ total: 5, totalPages: 3, perPage: 2, current: 2, next: 3, previous: 1 });
    expect((await api.Commits.all(path, { refName: 'main', perPage: 2 })).map((commit) => commit.title)).toHaveLength(5);
    const response = await fetch(`${server.url}/api/v4/projects/${encodeURIComponent(path)}/repository/commits?per_page=2&page=3`);
    expect(
      Object.fromEntries(
        ['x-total', 'x-total-pages', 'x-page', 'x-per-page', 'x-next-page', 'x-prev-page'].map((name) => [
          name,
          response.headers.get(name),
        ]),
      ),
    ).toEqual({
      'x-total': '5',
      'x-total-pages': '3',
      'x-page': '3',
      'x-per-page': '2',
      'x-next-page': '',
      'x-prev-page': '2',
    });
    expect(response.headers.get('link')).toContain('rel="first"');
  });

  it('lists projects by topic and last activity, in a group with its subgroups, and deletes them', async () => {
    const top = await api.Groups.create(unique('Org'), unique('org'));
    const sub = await api.Groups.create('Team', 'team', { parentId: top.id });
    const old = await api.Projects.create({ name: 'old', namespaceId: sub.id, topics: ['metastore-dataset'] });
    const other = await api.Projects.create({ name: 'other', namespaceId: top.id, topics: ['unrelated'] });
    const recent = await api.Projects.create({ name: 'recent', namespaceId: top.id, topics: ['metastore-dataset'] });
    await api.Commits.create(old.id, 'main', 'activity', [{ action: 'create', filePath: 'a', content: '1' }]);
    const listed = await api.Groups.allProjects(top.id, { includeSubgroups: true, orderBy: 'last_activity_at', sort: 'desc' });
    expect(listed.map((each) => each.path)).toEqual(['old', 'recent', 'other']);
    expect((await api.Groups.allProjects(top.id)).map((each) => each.path).sort()).toEqual(['other', 'recent']);
    expect((await api.Projects.all({ topic: 'metastore-dataset', search: 'recent' })).map((each) => each.id)).toEqual([recent.id]);
    await api.Projects.remove(other.id);
    expect(await failure(api.Projects.show(other.id))).toMatchObject({ status: 404 });
  });

  it('injects server errors, cut connections and latency through the shared brick, and counts every request', async () => {
    const { path } = await project();
    server.resetRequests();
    server.faults.inject({ method: 'GET', route: '/projects/:id', times: 1, kind: { type: 'server-error', status: 503 } });
    expect(await failure(api.Projects.show(path))).toEqual({ status: 503, description: '503 Service Unavailable' });
    server.faults.inject({ route: 'POST /projects/:id/repository/commits', times: 1, kind: { type: 'cut-after-effect' } });
    await expect(api.Commits.create(path, 'main', 'lost answer', [{ action: 'create', filePath: 'a', content: '1' }])).rejects.toThrow();
    // The commit landed although its answer was lost: a retry must see it (here: the file exists).
    expect(await api.RepositoryFiles.showRaw(path, 'a', 'main')).toBe('1');
    const slow = server.faults.inject({ route: /\/repository\/files\//, times: 1, kind: { type: 'latency', ms: 30 } });
    expect(await api.RepositoryFiles.showRaw(path, 'a', 'main')).toBe('1');
    expect(slow.triggered).toBe(1);
    expect(server.requests.map((request) => `${request.path} ${request.status}`)).toEqual([
      'GET /projects/:id 503',
      'POST /projects/:id/repository/commits 0',
      'GET /projects/:id/repository/files/:file_path/raw 200',
      'GET /projects/:id/repository/files/:file_path/raw 200',
    ]);
  });

  it('answers 429 with Retry-After and RateLimit headers, which gitbeaker retries', async () => {
    const { path } = await project();
    const fault = server.faults.inject({ route: 'GET /projects/:id', times: 2, kind: { type: 'rate-limit', retryAfterSeconds: 1 } });
    server.resetRequests();
    expect((await api.Projects.show(path)).path).toBe('ds');
    expect(fault).toMatchObject({ triggered: 2, remaining: 0 });
    expect(server.requests.map((request) => [request.path, request.status])).toEqual([
      ['GET /projects/:id', 429],
      ['GET /projects/:id', 429],
      ['GET /projects/:id', 200],
    ]);
    server.faults.inject({ times: 1, kind: { type: 'rate-limit', retryAfterSeconds: 7 } });
    const limited = await fetch(`${server.url}/api/v4/projects/${encodeURIComponent(path)}`);
    expect([limited.status, limited.headers.get('retry-after'), limited.headers.get('ratelimit-remaining'), await limited.text()]).toEqual([
      429,
      '7',
      '0',
      'Retry later\n',
    ]);
    expect(limited.headers.get('ratelimit-limit')).toBe('2000');
  });
});

describe('GitLab test server over plain HTTP', () => {
  let server: GitLabTestServer;

  beforeAll(async () => {
    server = await startGitLabTestServer({ projectDeletion: 'delayed', rateLimit: 1000 });
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/v4${path}`, {
      method,
      headers: { 'PRIVATE-TOKEN': 'anything', 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('tags answers with request ids and rate-limit headers, and revalidates GETs with If-None-Match (304)', async () => {
    const created = await call('POST', '/projects', { name: 'etag' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const first = await call('GET', `/projects/${id}`);
    expect(first.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
    expect(first.headers.get('ratelimit-observed')).toMatch(/^\d+$/);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const again = await call('GET', `/projects/${id}`, undefined, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    await call('PUT', `/projects/${id}`, { topics: ['changed'] });
    expect((await call('GET', `/projects/${id}`, undefined, { 'if-none-match': etag })).status).toBe(200);
  });

  it('answers GitLab error shapes: 401 without a token on writes, parameter errors as {error}, unknown routes', async () => {
    const anonymous = await fetch(`${server.url}/api/v4/projects`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect([anonymous.status, await anonymous.json()]).toEqual([401, { message: '401 Unauthorized' }]);
    const { id } = (await (await call('POST', '/projects', { name: 'errors' })).json()) as { id: number };
    const missing = await call('POST', `/projects/${id}/repository/commits`, { commit_message: 'x', actions: [] });
    expect([missing.status, await missing.json()]).toEqual([400, { error: 'branch is missing' }]);
    const noRef = await call('GET', `/projects/${id}/repository/files/a.json`);
    expect([noRef.status, await noRef.json()]).toEqual([400, { error: 'ref is missing' }]);
    const unknown = await call('GET', '/nothing/here');
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: '404 Not Found' }]);
  });

  it('marks a project for deletion when deletion is delayed, and removes it with permanently_remove and its full path', async () => {
    const { id, path_with_namespace: fullPath } = (await (await call('POST', '/projects', { name: 'gone' })).json()) as {
      id: number;
      path_with_namespace: string;
    };
    const marked = await call('DELETE', `/projects/${id}`);
    expect([marked.status, await marked.json()]).toEqual([202, { message: '202 Accepted' }]);
    expect((await call('GET', `/projects/${encodeURIComponent(fullPath)}`)).status).toBe(404);
    const pending = (await (await call('GET', `/projects/${id}`)).json()) as {
      path_with_namespace: string;
      marked_for_deletion_on: string;
    };
    expect(pending.path_with_namespace).toBe(`${fullPath}-deletion_scheduled-${id}`);
    expect(pending.marked_for_deletion_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await call('DELETE', `/projects/${id}?permanently_remove=true&full_path=${encodeURIComponent(fullPath)}`)).status).toBe(400);
    const removed = await call(
      'DELETE',
      `/projects/${id}?permanently_remove=true&full_path=${encodeURIComponent(pending.path_with_namespace)}`,
    );
    expect(removed.status).toBe(202);
    expect((await call('GET', `/projects/${id}`)).status).toBe(404);
  });

  it('has a documented schema for the JSON answer of every route (HEAD, raw files and 204 deletions send none)', () => {
    const documented = new Set(Object.keys(SUCCESS_SCHEMAS));
    const withoutJson = (template: string, method: string) =>
      method === 'HEAD' || template.endsWith('/raw') || (method === 'DELETE' && template !== '/projects/:id');
    const missing = GITLAB_ROUTES.filter((route) => !withoutJson(route.template, route.method))
      .map((route) => `${route.method} ${route.template}`)
      .filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });
});

describe('GitLab test server: last_activity_at as GitLab moves it, simple listings, seeded projects', () => {
  const HOUR = 3_600_000;
  const author = { name: 'Seeder', email: 'seeder@example.org' };
  let dataDir: string;
  let server: GitLabTestServer;
  let api: Client;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gitlab-seed-'));
    const old = Date.now() - 2 * HOUR;
    await seedGitLabProjects(
      dataDir,
      'root/acme',
      [
        { path: 'older', lastActivityAt: new Date(old) },
        { path: 'newer', lastActivityAt: new Date(old + 1000) },
        { path: 'recent', lastActivityAt: new Date(Date.now() - 60_000) },
      ],
      { files: [{ path: 'datapackage.json', content: '{}\n' }], topics: ['metastore-dataset'], message: 'Seed', author },
    );
    server = await startGitLabTestServer({ dataDir, activityIntervalMs: HOUR });
    api = new Gitlab({ host: server.url, token: 'any-token' });
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const byActivity = async () =>
    (await api.Groups.allProjects('root/acme', { orderBy: 'last_activity_at', sort: 'desc', simple: true })).map((each) => each.path);

  it('serves seeded projects (group, topic, last_activity_at, one commit) and lists them with simple=true', async () => {
    expect(await byActivity()).toEqual(['recent', 'newer', 'older']);
    const [simple] = await api.Groups.allProjects('root/acme', { orderBy: 'path', sort: 'asc', simple: true, perPage: 1, maxPages: 1 });
    expect(simple).toMatchObject({ path: 'newer', topics: ['metastore-dataset'], namespace: { full_path: 'root/acme' } });
    expect(simple).not.toHaveProperty('updated_at');
    expect((await api.Commits.all('root/acme/older', { refName: 'main' })).map((commit) => commit.title)).toEqual(['Seed']);
  });

  it('moves last_activity_at on a push only when it is older than the activity interval (GitLab: an hour)', async () => {
    const before = (await api.Projects.show('root/acme/recent')).last_activity_at;
    await api.Commits.create('root/acme/recent', 'main', 'within the hour', [{ action: 'create', filePath: 'a', content: '1' }]);
    expect((await api.Projects.show('root/acme/recent')).last_activity_at).toBe(before);
    await api.Commits.create('root/acme/older', 'main', 'after two hours', [{ action: 'create', filePath: 'a', content: '1' }]);
    expect(await byActivity()).toEqual(['older', 'recent', 'newer']);
  });

  it('keeps X-Total on a 304 (Rack keeps the headers), and counts the 304', async () => {
    const url = `${server.url}/api/v4/groups/root%2Facme/projects?order_by=last_activity_at&sort=desc&simple=true`;
    const first = await fetch(url, { headers: { 'private-token': 'any-token' } });
    await first.arrayBuffer();
    server.resetRequests();
    const again = await fetch(url, { headers: { 'private-token': 'any-token', 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-total')).toBe('3');
    expect(server.requests).toEqual([expect.objectContaining({ path: 'GET /groups/:id/projects', status: 304, rateLimited: true })]);
  });
});
