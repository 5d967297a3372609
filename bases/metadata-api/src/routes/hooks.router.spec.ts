import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { StoredEvent } from '@metastore/events';
import { startGitHubTestServer, type GitHubTestServer } from '@metastore/storage-github/testing';
import { startGitLabTestServer, type GitLabTestServer } from '@metastore/storage-gitlab/testing';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const SECRET = 'webhook-secret-0123456789abcdef';
const GRACE = { name: 'Grace Hopper', email: 'grace@example.com' };
const TOPIC = 'metastore-dataset';

/** A repository as GitHub's payloads describe it (the fields Metastore reads, and a few it does not). */
const repositoryOf = (fullName: string, topics = [TOPIC]) => ({
  id: 1,
  name: fullName.split('/')[1],
  full_name: fullName,
  private: false,
  topics,
  default_branch: 'main',
});

/** A GitHub delivery: the body as sent, signed with `secret` as GitHub does (HMAC-SHA256 of the exact bytes, hex). */
function delivery(event: string, payload: object, options: { id?: string; secret?: string; signature?: string | null } = {}) {
  const body = JSON.stringify(payload);
  const signature =
    options.signature === null
      ? undefined
      : (options.signature ??
        `sha256=${createHmac('sha256', options.secret ?? SECRET)
          .update(body)
          .digest('hex')}`);
  return { event, body, id: options.id ?? randomUUID(), signature };
}

/** Runs git as Grace (author and committer). */
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: GRACE.name,
      GIT_AUTHOR_EMAIL: GRACE.email,
      GIT_COMMITTER_NAME: GRACE.name,
      GIT_COMMITTER_EMAIL: GRACE.email,
    },
  }).trim();

/** Clones a bare repository of a git host test server into `workDir`. */
function cloneRepository(workDir: string, repository: string): string {
  const dir = path.join(workDir, randomUUID());
  git(workDir, 'clone', '--quiet', repository, dir);
  return dir;
}

/** Commits a new title to datapackage.json in `dir` and pushes it; the new head's sha. */
async function pushTitle(dir: string, title: string): Promise<string> {
  const file = path.join(dir, 'datapackage.json');
  const descriptor = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, `${JSON.stringify({ ...descriptor, title }, null, 2)}\n`);
  git(dir, 'commit', '--quiet', '-am', `Title: ${title}`);
  git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
  return git(dir, 'rev-parse', 'HEAD');
}

/** The events of one dataset (`owner/name`) in the server's outbox, oldest first. */
async function eventsOf(api: TestServer, subject: string): Promise<StoredEvent[]> {
  return (await api.dependencies.outbox.feed(undefined, 1000)).items.filter((stored) => stored.event.subject === subject);
}

describe('POST /api/v1/hooks/github (GitHub backend, local GitHub API test server)', () => {
  let github: GitHubTestServer;
  let api: TestServer;
  let workDir: string;

  const send = (hook: ReturnType<typeof delivery>) => {
    const call = request(api.baseUrl)
      .post('/api/v1/hooks/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', hook.event)
      .set('X-GitHub-Delivery', hook.id)
      .set('User-Agent', 'GitHub-Hookshot/test');
    if (hook.signature !== undefined) call.set('X-Hub-Signature-256', hook.signature);
    return call.send(hook.body);
  };
  const settled = () => api.dependencies.webhookSync.idle();
  const events = (subject: string) => eventsOf(api, subject);
  /** Clones the dataset's repository from the test server's git store, to push to it as a person would. */
  const clone = (owner: string, name: string) => cloneRepository(workDir, github.repositoryPath(owner, name));
  const create = async (name: string) => {
    const created = await api
      .http()
      .post('/api/v1/datasets')
      .send({ owner: 'gh-org', name, descriptor: { name, resources: [{ name: 'r', path: 'r.csv' }] } });
    expect(created.status).toBe(201);
    return created.body.revision.sha as string;
  };
  const pushPayload = (fullName: string, ref: string, before: string, after: string, topics?: string[]) => ({
    ref,
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    repository: repositoryOf(fullName, topics),
    pusher: { name: 'grace', email: GRACE.email },
  });

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-hooks-'));
    github = await startGitHubTestServer();
    api = await startTestServer({
      STORAGE: 'github',
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: 'test-token',
      GITHUB_WRITE_INTERVAL_MS: '0',
      GITHUB_RETRY_BASE_MS: '5',
      METASTORE_WEBHOOK_GITHUB_SECRET: SECRET,
    });
  });
  afterAll(async () => {
    await api?.close();
    await github?.close();
    await rm(workDir, { recursive: true, force: true });
    expect(github.violations).toEqual([]);
  });

  it('syncs a push made on GitHub: the catalog shows the new head, one dataset.updated per revision with the author from git', async () => {
    const first = await create('pushed');
    const dir = await clone('gh-org', 'pushed');
    const second = await pushTitle(dir, 'Second');
    const third = await pushTitle(dir, 'Third');
    const hook = delivery('push', pushPayload('gh-org/pushed', 'refs/heads/main', first, third));
    const answer = await send(hook);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ status: 'accepted', datasets: ['gh-org/pushed'] });
    expectDocumented('POST', '/hooks/github', answer);
    await settled();

    expect((await api.dependencies.catalog.getDataset({ owner: 'gh-org', name: 'pushed' }))?.headRevision).toBe(third);
    const read = await api.http().get('/api/v1/datasets/gh-org/pushed');
    expect(read.body.title).toBe('Third');
    const updates = (await events('gh-org/pushed')).filter((stored) => stored.event.type === 'dataset.updated');
    expect(updates.map((stored) => stored.event.data.newRevision)).toEqual([second, third]);
    expect(updates.map((stored) => stored.event.data.author)).toEqual([GRACE, GRACE]);
    expect(updates.map((stored) => stored.event.data.origin)).toEqual(['sync', 'sync']);

    // The same delivery again (GitHub's "Redeliver", or a replay): answered without work.
    const before = (await events('gh-org/pushed')).length;
    const again = await send(hook);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate' });
    expectDocumented('POST', '/hooks/github', again);
    // A replay of the signed body under a new delivery id (headers are not signed): still a duplicate.
    expect((await send({ ...hook, id: randomUUID() })).body).toEqual({ status: 'duplicate' });
    // A new delivery about the same revisions (another hook on the organisation): synced, and nothing is announced twice.
    const other = await send(delivery('push', { ...pushPayload('gh-org/pushed', 'refs/heads/main', first, third), hook_id: 2 }));
    expect(other.body.status).toBe('accepted');
    await settled();
    expect(await events('gh-org/pushed')).toHaveLength(before);
  });

  it('coalesces a burst of deliveries for one dataset and still announces each revision exactly once', async () => {
    const first = await create('burst');
    const dir = await clone('gh-org', 'burst');
    const shas = [await pushTitle(dir, 'One'), await pushTitle(dir, 'Two'), await pushTitle(dir, 'Three')];
    const answers = await Promise.all(
      shas.map((sha, index) =>
        send(delivery('push', pushPayload('gh-org/burst', 'refs/heads/main', index === 0 ? first : shas[index - 1]!, sha))),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
    await settled();
    const updates = (await events('gh-org/burst')).filter((stored) => stored.event.type === 'dataset.updated');
    expect(updates.map((stored) => stored.event.data.newRevision)).toEqual(shas);
    expect(api.dependencies.webhookSync.outcomes.failed).toBe(0);
  });

  it('turns a pushed tag into its tag event, once', async () => {
    const first = await create('tagged');
    const dir = await clone('gh-org', 'tagged');
    git(dir, 'tag', '-a', 'v2', '-m', 'Second release');
    git(dir, 'push', '--quiet', 'origin', 'v2');
    const hook = delivery('push', { ...pushPayload('gh-org/tagged', 'refs/tags/v2', '0'.repeat(40), first), created: true });
    expect((await send(hook)).status).toBe(202);
    await settled();
    const tags = (await events('gh-org/tagged')).filter((stored) => stored.event.type.startsWith('tag.'));
    expect(tags.map((stored) => [stored.event.type, stored.event.data.tag?.name, stored.event.data.newRevision])).toEqual([
      ['tag.created', 'v2', first],
    ]);
    expect(tags[0]!.event.data.author).toEqual(GRACE);
    // GitHub's `create` event for the same tag: synced again, nothing new.
    expect((await send(delivery('create', { ref: 'v2', ref_type: 'tag', repository: repositoryOf('gh-org/tagged') }))).status).toBe(202);
    await settled();
    expect((await events('gh-org/tagged')).filter((stored) => stored.event.type.startsWith('tag.'))).toHaveLength(1);
  });

  it('records the deletion of a repository deleted on GitHub', async () => {
    await create('doomed');
    const deleted = await fetch(`${github.url}/repos/gh-org/doomed`, { method: 'DELETE', headers: { authorization: 'token test-token' } });
    expect(deleted.status).toBe(204);
    const answer = await send(delivery('repository', { action: 'deleted', repository: repositoryOf('gh-org/doomed') }));
    expect(answer.body).toEqual({ status: 'accepted', datasets: ['gh-org/doomed'] });
    await settled();
    expect((await api.dependencies.catalog.getDataset({ owner: 'gh-org', name: 'doomed' }))?.deleted).toBe(true);
    expect((await events('gh-org/doomed')).map((stored) => stored.event.type)).toEqual(['dataset.created', 'dataset.deleted']);
  });

  it('refuses deliveries it cannot verify with one stable 401, and records nothing of them', async () => {
    const payload = pushPayload('gh-org/any', 'refs/heads/main', '1'.repeat(40), '2'.repeat(40));
    const id = randomUUID();
    for (const hook of [
      delivery('push', payload, { id, signature: null }),
      delivery('push', payload, { id, secret: 'another-secret-0123456789abcdef' }),
      delivery('push', payload, { id, signature: 'sha256=00' }),
      delivery('push', payload, { id, signature: 'sha1=0123456789abcdef0123456789abcdef01234567' }),
    ]) {
      const refused = await send(hook);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ code: 'WEBHOOK_UNVERIFIED', detail: 'the delivery could not be verified' });
      expectDocumented('POST', '/hooks/github', refused);
    }
    // A body changed after signing: the signature no longer holds.
    const signed = delivery('push', payload, { id });
    expect((await send({ ...signed, body: signed.body.replace('gh-org/any', 'gh-org/other') })).status).toBe(401);
    // The refused attempts left no trace: the genuine delivery with that id is not taken for a replay.
    expect((await send(signed)).body).toEqual({ status: 'accepted', datasets: ['gh-org/any'] });
    await settled();
    expect(await api.dependencies.catalog.getDataset({ owner: 'gh-org', name: 'any' })).toBeUndefined();
  });

  it('answers a ping, and ignores events it does not sync on and repositories that are no datasets', async () => {
    const ping = await send(delivery('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }));
    expect(ping.status).toBe(200);
    expect(ping.body).toEqual({ status: 'pong' });
    expectDocumented('POST', '/hooks/github', ping);
    const issue = await send(delivery('issues', { action: 'opened', repository: repositoryOf('gh-org/pushed') }));
    expect(issue.status).toBe(202);
    expect(issue.body).toEqual({ status: 'ignored', reason: 'event issues is not one Metastore syncs on' });
    expectDocumented('POST', '/hooks/github', issue);
    const unmarked = await send(delivery('push', pushPayload('gh-org/website', 'refs/heads/main', '1'.repeat(40), '2'.repeat(40), [])));
    expect(unmarked.body).toEqual({ status: 'ignored', reason: 'the repository is not marked as a dataset' });
    await settled();
    expect(await api.dependencies.catalog.getDataset({ owner: 'gh-org', name: 'website' })).toBeUndefined();
  });

  it('refuses a verified delivery without a delivery id or with a body that is no JSON object (400)', async () => {
    const hook = delivery('push', pushPayload('gh-org/pushed', 'refs/heads/main', '1'.repeat(40), '2'.repeat(40)));
    const noId = await request(api.baseUrl)
      .post('/api/v1/hooks/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', 'push')
      .set('X-Hub-Signature-256', hook.signature!)
      .send(hook.body);
    expect(noId.status).toBe(400);
    const array = delivery('push', [1, 2]);
    expect((await send(array)).status).toBe(400);
    const form = await request(api.baseUrl)
      .post('/api/v1/hooks/github')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('payload=%7B%7D');
    expect(form.status).toBe(415);
  });

  it('counts deliveries and background syncs at /metrics', async () => {
    const metrics = (await request(api.baseUrl).get('/metrics')).text;
    expect(metrics).toMatch(/metastore_webhook_deliveries_total\{host="github",outcome="accepted"\} [1-9]/);
    expect(metrics).toMatch(/metastore_webhook_deliveries_total\{host="github",outcome="unverified"\} [1-9]/);
    expect(metrics).toMatch(/metastore_webhook_syncs_total\{outcome="synced"\} [1-9]/);
    expect(metrics).toContain('metastore_webhook_sync_queue_length 0');
  });
});

describe('POST /api/v1/hooks/gitlab, and hosts without a secret (local storage)', () => {
  const GITLAB_SECRET = 'gitlab-token-0123456789abcdef';
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ METASTORE_WEBHOOK_GITLAB_SECRET: GITLAB_SECRET });
  });
  afterAll(async () => {
    await api?.close();
  });
  const push = { object_kind: 'push', ref: 'refs/heads/main', project: { path_with_namespace: 'acme/rain' } };
  const send = (payload: object, headers: Record<string, string>) => {
    const call = request(api.baseUrl)
      .post('/api/v1/hooks/gitlab')
      .set('Content-Type', 'application/json')
      .set('X-Gitlab-Event', 'Push Hook');
    for (const [name, value] of Object.entries(headers)) call.set(name, value);
    return call.send(JSON.stringify(payload));
  };

  it('refuses a delivery without the secret token, or with another one, with the same 401', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { 'X-Gitlab-Token': 'wrong' },
      { 'X-Gitlab-Token': `${GITLAB_SECRET}x` },
      { 'X-Gitlab-Token': '' },
    ]) {
      const refused = await send(push, { ...headers, 'Idempotency-Key': randomUUID() });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ code: 'WEBHOOK_UNVERIFIED', detail: 'the delivery could not be verified' });
      expectDocumented('POST', '/hooks/gitlab', refused);
    }
  });

  it('verifies the token, deduplicates by Idempotency-Key (else X-Gitlab-Event-UUID), and ignores a host datasets are not stored on', async () => {
    const key = randomUUID();
    const first = await send(push, { 'X-Gitlab-Token': GITLAB_SECRET, 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ status: 'ignored', reason: 'datasets are not stored on gitlab here' });
    expectDocumented('POST', '/hooks/gitlab', first);
    expect((await send(push, { 'X-Gitlab-Token': GITLAB_SECRET, 'Idempotency-Key': key })).body).toEqual({ status: 'duplicate' });
    const uuid = randomUUID();
    const tagPush = { ...push, object_kind: 'tag_push', ref: 'refs/tags/v1' };
    expect((await send(tagPush, { 'X-Gitlab-Token': GITLAB_SECRET, 'X-Gitlab-Event-UUID': uuid })).status).toBe(202);
    expect((await send(tagPush, { 'X-Gitlab-Token': GITLAB_SECRET, 'X-Gitlab-Event-UUID': uuid })).body).toEqual({ status: 'duplicate' });
    const issue = await send(
      { object_kind: 'issue', project: push.project },
      { 'X-Gitlab-Token': GITLAB_SECRET, 'Idempotency-Key': randomUUID() },
    );
    expect(issue.body).toEqual({ status: 'ignored', reason: 'event issue is not one Metastore syncs on' });
  });

  it('refuses every GitHub delivery while no GitHub secret is configured', async () => {
    const body = JSON.stringify({ zen: 'hi' });
    const refused = await request(api.baseUrl)
      .post('/api/v1/hooks/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Event', 'ping')
      .set('X-GitHub-Delivery', randomUUID())
      .set('X-Hub-Signature-256', `sha256=${createHmac('sha256', 'anything-at-all-0123').update(body).digest('hex')}`)
      .send(body);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('WEBHOOK_UNVERIFIED');
  });

  it('keeps the body limit: a delivery over it is 413 (PAYLOAD_TOO_LARGE) before any verification', async () => {
    const small = await startTestServer({ METASTORE_WEBHOOK_GITLAB_SECRET: GITLAB_SECRET, METASTORE_BODY_LIMIT: '1kb' });
    try {
      const large = await request(small.baseUrl)
        .post('/api/v1/hooks/gitlab')
        .set('Content-Type', 'application/json')
        .set('X-Gitlab-Token', GITLAB_SECRET)
        .send(JSON.stringify({ ...push, padding: 'x'.repeat(2048) }));
      expect(large.status).toBe(413);
      expect(large.body.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});

describe('POST /api/v1/hooks/gitlab (GitLab backend, local GitLab API test server)', () => {
  const GITLAB_SECRET = 'gitlab-token-0123456789abcdef';
  const TOKEN = 'glpat-webhookSpecToken0123';
  let gitlab: GitLabTestServer;
  let api: TestServer;
  let workDir: string;

  const send = (payload: object, key = randomUUID(), event = 'Push Hook') =>
    request(api.baseUrl)
      .post('/api/v1/hooks/gitlab')
      .set('Content-Type', 'application/json')
      .set('X-Gitlab-Event', event)
      .set('X-Gitlab-Token', GITLAB_SECRET)
      .set('Idempotency-Key', key)
      .send(JSON.stringify(payload));
  const pushHook = (project: string, ref = 'refs/heads/main') => ({
    object_kind: ref.startsWith('refs/tags/') ? 'tag_push' : 'push',
    event_name: ref.startsWith('refs/tags/') ? 'tag_push' : 'push',
    ref,
    user_username: 'grace',
    project: { id: 1, path_with_namespace: project, default_branch: 'main' },
  });
  const settled = () => api.dependencies.webhookSync.idle();
  const create = async (name: string) => {
    const created = await api
      .http()
      .post('/api/v1/datasets')
      .send({ owner: 'gl-org', name, descriptor: { name, resources: [{ name: 'r', path: 'r.csv' }] } });
    expect(created.status).toBe(201);
    return created.body.revision.sha as string;
  };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-hooks-gitlab-'));
    gitlab = await startGitLabTestServer();
    // The root group, made once by the operator before configuring GITLAB_ROOT_GROUP.
    const group = await fetch(`${gitlab.url}/api/v4/groups`, {
      method: 'POST',
      headers: { 'private-token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'metastore', path: 'metastore' }),
    });
    expect(group.status).toBe(201);
    api = await startTestServer({
      STORAGE: 'gitlab',
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: TOKEN,
      GITLAB_ROOT_GROUP: 'metastore',
      GITLAB_RETRY_BASE_MS: '5',
      METASTORE_WEBHOOK_GITLAB_SECRET: GITLAB_SECRET,
    });
  });
  afterAll(async () => {
    await api?.close();
    await gitlab?.close();
    await rm(workDir, { recursive: true, force: true });
    expect(gitlab.violations).toEqual([]);
  });

  it('syncs pushes and tag pushes made on GitLab, once per revision and tag, however often delivered', async () => {
    const first = await create('rain');
    const dir = cloneRepository(workDir, gitlab.repositoryPath('metastore/gl-org/rain'));
    const second = await pushTitle(dir, 'Second');
    const third = await pushTitle(dir, 'Third');
    const key = randomUUID();
    const answer = await send(pushHook('metastore/gl-org/rain'), key);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ status: 'accepted', datasets: ['gl-org/rain'] });
    await settled();
    expect((await api.dependencies.catalog.getDataset({ owner: 'gl-org', name: 'rain' }))?.headRevision).toBe(third);
    const updates = (await eventsOf(api, 'gl-org/rain')).filter((stored) => stored.event.type === 'dataset.updated');
    expect(updates.map((stored) => [stored.event.data.newRevision, stored.event.data.author])).toEqual([
      [second, GRACE],
      [third, GRACE],
    ]);
    expect((await send(pushHook('metastore/gl-org/rain'), key)).body).toEqual({ status: 'duplicate' });

    git(dir, 'tag', '-a', 'v1', '-m', 'First release', first);
    git(dir, 'push', '--quiet', 'origin', 'v1');
    expect((await send(pushHook('metastore/gl-org/rain', 'refs/tags/v1'), randomUUID(), 'Tag Push Hook')).status).toBe(202);
    // Another hook (the project's and the group's) reports the same push: synced again, nothing new.
    expect(
      (await send({ ...pushHook('metastore/gl-org/rain', 'refs/tags/v1'), hook: 'group' }, randomUUID(), 'Tag Push Hook')).status,
    ).toBe(202);
    await settled();
    const tags = (await eventsOf(api, 'gl-org/rain')).filter((stored) => stored.event.type.startsWith('tag.'));
    expect(tags.map((stored) => [stored.event.type, stored.event.data.tag?.name, stored.event.data.newRevision])).toEqual([
      ['tag.created', 'v1', first],
    ]);
    expect((await eventsOf(api, 'gl-org/rain')).filter((stored) => stored.event.type === 'dataset.updated')).toHaveLength(2);
  });

  it("records a project's deletion from the system hook, and ignores projects outside the root group", async () => {
    await create('doomed');
    const deleted = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent('metastore/gl-org/doomed')}`, {
      method: 'DELETE',
      headers: { 'private-token': TOKEN },
    });
    expect(deleted.status).toBeLessThan(300);
    const answer = await send(
      { event_name: 'project_destroy', path_with_namespace: 'metastore/gl-org/doomed' },
      randomUUID(),
      'System Hook',
    );
    expect(answer.body).toEqual({ status: 'accepted', datasets: ['gl-org/doomed'] });
    await settled();
    expect((await eventsOf(api, 'gl-org/doomed')).map((stored) => stored.event.type)).toEqual(['dataset.created', 'dataset.deleted']);

    const outside = await send(pushHook('elsewhere/gl-org/rain'));
    expect(outside.body).toEqual({ status: 'ignored', reason: 'the repository is outside the root group' });
  });
});

describe('webhooks and the write rate limit', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ METASTORE_WEBHOOK_GITHUB_SECRET: SECRET, METASTORE_WRITE_RATE_LIMIT: '2' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('does not count signed deliveries as a caller’s writes: a git host sends bursts from a few addresses', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const hook = delivery('ping', { zen: 'Design for failure.', hook_id: index });
      const answer = await request(api.baseUrl)
        .post('/api/v1/hooks/github')
        .set('Content-Type', 'application/json')
        .set('X-GitHub-Event', hook.event)
        .set('X-GitHub-Delivery', hook.id)
        .set('X-Hub-Signature-256', hook.signature!)
        .send(hook.body);
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // The limit itself is on: the same address's third write in the minute is refused.
    const writes = [];
    for (let index = 0; index < 3; index += 1) writes.push((await api.http().post('/api/v1/datasets/acme/limited').send({})).status);
    expect(writes[2]).toBe(429);
  });
});
