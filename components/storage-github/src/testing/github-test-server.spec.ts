import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { type GitHubTestServer, startGitHubTestServer } from './github-test-server';

const run = promisify(execFile);
let sequence = 0;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The real octokit client against the test server (its request log silenced: failures are expected here). */
function clientFor(server: GitHubTestServer): Octokit {
  return new Octokit({ baseUrl: server.url, auth: 'test-token', log: quiet });
}

/** A fresh organization per test, so tests never share repositories. */
function newOrg(): string {
  sequence += 1;
  return `org-${process.pid}-${sequence}`;
}

/** The status of a rejected octokit call (octokit throws RequestError for >= 400 and for 304). */
async function statusOf(promise: Promise<unknown>): Promise<{ status: number; data: unknown; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { status: number; response?: { data: unknown; headers: Record<string, string> } };
    return { status: failure.status, data: failure.response?.data, headers: failure.response?.headers ?? {} };
  }
  throw new Error('expected the request to fail');
}

describe('GitHub test server through @octokit/rest', () => {
  let server: GitHubTestServer;
  let octokit: Octokit;

  beforeAll(async () => {
    server = await startGitHubTestServer();
    octokit = clientFor(server);
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  /** An org repository with an initial commit; returns the head sha and the README's blob. */
  async function initialisedRepository(): Promise<{ owner: string; repo: string; head: string }> {
    const owner = newOrg();
    const repo = 'dataset';
    await octokit.repos.createInOrg({ org: owner, name: repo, auto_init: true });
    const { data } = await octokit.git.getRef({ owner, repo, ref: 'heads/main' });
    return { owner, repo, head: data.object.sha };
  }

  /** Commits `files` (path → content, null deletes) on top of `parent` and moves main. */
  async function commitFiles(
    owner: string,
    repo: string,
    parent: string,
    files: Record<string, string | null>,
    message: string,
  ): Promise<string> {
    const { data: parentCommit } = await octokit.git.getCommit({ owner, repo, commit_sha: parent });
    const { data: tree } = await octokit.git.createTree({
      owner,
      repo,
      base_tree: parentCommit.tree.sha,
      tree: Object.entries(files).map(([filePath, content]) =>
        content === null
          ? { path: filePath, mode: '100644' as const, type: 'blob' as const, sha: null }
          : { path: filePath, mode: '100644' as const, type: 'blob' as const, content },
      ),
    });
    const { data: commit } = await octokit.git.createCommit({ owner, repo, message, tree: tree.sha, parents: [parent] });
    await octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha: commit.sha });
    return commit.sha;
  }

  describe('repositories', () => {
    it('creates an organization repository with auto_init: a full repository object and a README commit on main', async () => {
      const org = newOrg();
      const { data, status, headers } = await octokit.repos.createInOrg({
        org,
        name: 'climate',
        description: 'Climate data',
        auto_init: true,
        private: true,
      });
      expect(status).toBe(201);
      expect(data).toMatchObject({
        name: 'climate',
        full_name: `${org}/climate`,
        private: true,
        visibility: 'private',
        description: 'Climate data',
        default_branch: 'main',
        topics: [],
        owner: { login: org, type: 'Organization' },
        url: `${server.url}/repos/${org}/climate`,
        html_url: `${server.url}/${org}/climate`,
      });
      expect(headers.location).toBe(`${server.url}/repos/${org}/climate`);
      const { data: readme } = await octokit.repos.getContent({ owner: org, repo: 'climate', path: 'README.md' });
      expect(Buffer.from((readme as { content: string }).content, 'base64').toString()).toBe('# climate\nClimate data\n');
      const { data: commits } = await octokit.repos.listCommits({ owner: org, repo: 'climate' });
      expect(commits.map((commit) => commit.commit.message)).toEqual(['Initial commit']);
    });

    it('creates repositories for the authenticated user and reports that user', async () => {
      const name = `mine-${newOrg()}`;
      const { data } = await octokit.repos.createForAuthenticatedUser({ name });
      expect(data.owner).toMatchObject({ login: 'metastore-test', type: 'User' });
      const { data: user } = await octokit.users.getAuthenticated();
      expect(user.login).toBe('metastore-test');
      const { data: listed } = await octokit.repos.listForUser({ username: 'metastore-test', per_page: 100 });
      expect(listed.map((repository) => repository.name)).toContain(name);
    });

    it("refuses a duplicate name with GitHub's 422 body, case-insensitively", async () => {
      const org = newOrg();
      await octokit.repos.createInOrg({ org, name: 'Budget' });
      const failure = await statusOf(octokit.repos.createInOrg({ org, name: 'budget' }));
      expect(failure.status).toBe(422);
      expect(failure.data).toEqual({
        message: 'Repository creation failed.',
        errors: [{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }],
        documentation_url: 'https://docs.github.com/rest/repos/repos#create-an-organization-repository',
        status: '422',
      });
      const { data } = await octokit.repos.get({ owner: org.toUpperCase(), repo: 'BUDGET' });
      expect(data.name).toBe('Budget');
    });

    it("rejects a body that does not fit the operation's schema with 422", async () => {
      // Deliberately ill-typed bodies: the route is a plain string so octokit's types do not refuse them.
      const route: string = 'POST /orgs/{org}/repos';
      const failure = await statusOf(octokit.request(route, { org: newOrg(), name: 'x', private: 'yes' }));
      expect(failure.status).toBe(422);
      expect((failure.data as { message: string }).message).toMatch(
        /^Invalid request\.\n\nFor 'properties\/private', "yes" is not a boolean\./,
      );
      const missing = await statusOf(octokit.request(route, { org: newOrg() }));
      expect((missing.data as { message: string }).message).toBe('Invalid request.\n\n"name" wasn\'t supplied.');
    });

    it('replaces topics, which then appear in repository objects and listings', async () => {
      const { owner, repo } = await initialisedRepository();
      const { data } = await octokit.repos.replaceAllTopics({ owner, repo, names: ['metastore', 'Climate'] });
      expect(data.names).toEqual(['metastore', 'climate']);
      expect((await octokit.repos.get({ owner, repo })).data.topics).toEqual(['metastore', 'climate']);
      expect((await octokit.repos.listForOrg({ org: owner })).data[0]?.topics).toEqual(['metastore', 'climate']);
      expect((await octokit.repos.getAllTopics({ owner, repo })).data.names).toEqual(['metastore', 'climate']);
      expect((await statusOf(octokit.repos.replaceAllTopics({ owner, repo, names: ['-bad-'] }))).status).toBe(422);
    });

    it("deletes a repository: 204, then 404 with GitHub's body", async () => {
      const { owner, repo } = await initialisedRepository();
      expect((await octokit.repos.delete({ owner, repo })).status).toBe(204);
      const failure = await statusOf(octokit.repos.get({ owner, repo }));
      expect(failure.status).toBe(404);
      expect(failure.data).toEqual({
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
        status: '404',
      });
    });

    it('answers 404 for unknown owners, repositories and routes', async () => {
      expect((await statusOf(octokit.repos.listForOrg({ org: 'no-such-org' }))).status).toBe(404);
      expect((await statusOf(octokit.repos.listForUser({ username: 'no-such-user' }))).status).toBe(404);
      expect((await statusOf(octokit.git.getRef({ owner: 'no-such-org', repo: 'x', ref: 'heads/main' }))).status).toBe(404);
      const unknownRoute = await statusOf(octokit.request('GET /no/such/route'));
      expect(unknownRoute).toMatchObject({
        status: 404,
        data: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
      });
    });

    it('paginates organization repositories with absolute Link headers on its own host', async () => {
      const org = newOrg();
      for (const name of ['e', 'a', 'd', 'c', 'b']) await octokit.repos.createInOrg({ org, name });
      const first = await octokit.repos.listForOrg({ org, sort: 'full_name', per_page: 2 });
      expect(first.data.map((repository) => repository.name)).toEqual(['a', 'b']);
      expect(first.headers.link).toBe(
        `<${server.url}/orgs/${org}/repos?sort=full_name&per_page=2&page=2>; rel="next", <${server.url}/orgs/${org}/repos?sort=full_name&per_page=2&page=3>; rel="last"`,
      );
      const second = await octokit.repos.listForOrg({ org, sort: 'full_name', per_page: 2, page: 2 });
      expect(second.headers.link).toContain('rel="prev"');
      expect(second.headers.link).toContain('rel="first"');
      const all = await octokit.paginate(octokit.repos.listForOrg, { org, sort: 'full_name', direction: 'desc', per_page: 2 });
      expect(all.map((repository) => repository.name)).toEqual(['e', 'd', 'c', 'b', 'a']);
      const created = await octokit.repos.listForOrg({ org });
      expect(created.data.map((repository) => repository.name)).toEqual(['b', 'c', 'd', 'a', 'e']);
      expect(created.headers.link).toBeUndefined();
    });
  });

  describe('git data', () => {
    it('creates blobs (utf-8 and base64) and reads them back', async () => {
      const { owner, repo } = await initialisedRepository();
      const { data: text, status } = await octokit.git.createBlob({ owner, repo, content: 'héllo\n' });
      expect(status).toBe(201);
      const gitSha = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
      const expected = gitSha(Buffer.from('héllo\n'));
      expect(text).toEqual({ sha: expected, url: `${server.url}/repos/${owner}/${repo}/git/blobs/${expected}` });
      const bytes = Buffer.from([0, 1, 2, 255]);
      const { data: binary } = await octokit.git.createBlob({ owner, repo, content: bytes.toString('base64'), encoding: 'base64' });
      const { data: read } = await octokit.git.getBlob({ owner, repo, file_sha: binary.sha });
      expect(read).toMatchObject({ sha: binary.sha, size: 4, encoding: 'base64' });
      expect(Buffer.from(read.content, 'base64')).toEqual(bytes);
      expect((await statusOf(octokit.git.getBlob({ owner, repo, file_sha: '0'.repeat(40) }))).status).toBe(404);
    });

    it('creates trees with nested paths, then deletes paths and drops the directories left empty', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const { data: base } = await octokit.git.getCommit({ owner, repo, commit_sha: head });
      const { data: tree, status } = await octokit.git.createTree({
        owner,
        repo,
        base_tree: base.tree.sha,
        tree: [
          { path: 'data/2024/a.csv', mode: '100644', type: 'blob', content: 'a,b\n1,2\n' },
          { path: 'data/2024/b.csv', mode: '100644', type: 'blob', content: 'b\n' },
          { path: 'data.json', mode: '100644', type: 'blob', content: '{}' },
          { path: 'datapackage.json', mode: '100644', type: 'blob', content: '{"name":"x"}' },
        ],
      });
      expect(status).toBe(201);
      expect(tree.truncated).toBe(false);
      // Git's order: a directory sorts as if its name ended with '/', after 'data.json'.
      expect(tree.tree.map((entry) => [entry.path, entry.type, entry.mode])).toEqual([
        ['README.md', 'blob', '100644'],
        ['data.json', 'blob', '100644'],
        ['data', 'tree', '040000'],
        ['datapackage.json', 'blob', '100644'],
      ]);
      expect(tree.tree[0]).toMatchObject({
        size: '# dataset\n'.length,
        url: expect.stringContaining(`${server.url}/repos/${owner}/${repo}/git/blobs/`),
      });
      const { data: recursive } = await octokit.git.getTree({ owner, repo, tree_sha: tree.sha, recursive: '1' });
      expect(recursive.tree.map((entry) => entry.path)).toEqual([
        'README.md',
        'data.json',
        'data',
        'data/2024',
        'data/2024/a.csv',
        'data/2024/b.csv',
        'datapackage.json',
      ]);

      const { data: pruned } = await octokit.git.createTree({
        owner,
        repo,
        base_tree: tree.sha,
        tree: [
          { path: 'data/2024/a.csv', mode: '100644', type: 'blob', sha: null },
          { path: 'data/2024/b.csv', mode: '100644', type: 'blob', sha: null },
        ],
      });
      expect(pruned.tree.map((entry) => entry.path)).toEqual(['README.md', 'data.json', 'datapackage.json']);
      expect(pruned.sha).not.toBe(tree.sha);

      const missing = await statusOf(
        octokit.git.createTree({
          owner,
          repo,
          base_tree: pruned.sha,
          tree: [{ path: 'nope.txt', mode: '100644', type: 'blob', sha: null }],
        }),
      );
      expect(missing).toMatchObject({ status: 422, data: { message: 'GitRPC::BadObjectState' } });
      const both = await statusOf(
        octokit.git.createTree({ owner, repo, tree: [{ path: 'x', mode: '100644', type: 'blob', sha: head, content: 'x' }] }),
      );
      expect(both).toMatchObject({ status: 422, data: { message: expect.stringMatching(/^Must supply either tree.sha or tree.content/) } });
      const badBase = await statusOf(
        octokit.git.createTree({ owner, repo, base_tree: head, tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x' }] }),
      );
      expect(badBase).toMatchObject({ status: 422, data: { message: 'base_tree is not a valid tree oid' } });
      const dotGit = await statusOf(
        octokit.git.createTree({ owner, repo, tree: [{ path: '.git/config', mode: '100644', type: 'blob', content: 'x' }] }),
      );
      expect(dotGit).toMatchObject({ status: 422, data: { message: 'tree.path contains a malformed path component' } });
    });

    it('creates commits with explicit author and committer, and reads them back', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const { data: parent } = await octokit.git.getCommit({ owner, repo, commit_sha: head });
      const { data: commit, status } = await octokit.git.createCommit({
        owner,
        repo,
        message: 'Add data\n\nWith a body.',
        tree: parent.tree.sha,
        parents: [head],
        author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2024-03-01T10:00:00+02:00' },
        committer: { name: 'Bot', email: 'bot@example.com', date: '2024-03-01T09:00:00Z' },
      });
      expect(status).toBe(201);
      expect(commit).toMatchObject({
        message: 'Add data\n\nWith a body.',
        author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2024-03-01T08:00:00Z' },
        committer: { name: 'Bot', email: 'bot@example.com', date: '2024-03-01T09:00:00Z' },
        tree: { sha: parent.tree.sha },
        parents: [
          {
            sha: head,
            url: `${server.url}/repos/${owner}/${repo}/git/commits/${head}`,
            html_url: `${server.url}/${owner}/${repo}/commit/${head}`,
          },
        ],
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      });
      expect((await octokit.git.getCommit({ owner, repo, commit_sha: commit.sha })).data).toEqual(commit);
      const { stdout } = await run('git', ['--git-dir', server.repositoryPath(owner, repo), 'cat-file', '-p', commit.sha]);
      expect(stdout).toContain('author Ada Lovelace <ada@example.com> 1709280000 +0200');

      const defaults = (await octokit.git.createCommit({ owner, repo, message: 'defaults', tree: parent.tree.sha, parents: [commit.sha] }))
        .data;
      expect(defaults.author).toMatchObject({
        name: 'metastore-test',
        email: expect.stringMatching(/^\d+\+metastore-test@users\.noreply\.github\.com$/),
      });
      expect(defaults.committer).toEqual(defaults.author);

      const badTree = await statusOf(octokit.git.createCommit({ owner, repo, message: 'x', tree: '1'.repeat(40), parents: [head] }));
      expect(badTree).toMatchObject({ status: 422, data: { message: 'Tree SHA does not exist' } });
      const badParent = await statusOf(
        octokit.git.createCommit({ owner, repo, message: 'x', tree: parent.tree.sha, parents: ['2'.repeat(40)] }),
      );
      expect(badParent).toMatchObject({ status: 422, data: { message: 'Parent SHA does not exist or is not a commit object' } });
      expect((await statusOf(octokit.git.getCommit({ owner, repo, commit_sha: '3'.repeat(40) }))).status).toBe(404);
    });

    it("creates, reads, lists, moves and deletes refs with GitHub's 422s", async () => {
      const { owner, repo, head } = await initialisedRepository();
      const second = await commitFiles(owner, repo, head, { 'a.txt': 'a' }, 'second');
      const { data: created, status } = await octokit.git.createRef({ owner, repo, ref: 'refs/heads/feature', sha: head });
      expect(status).toBe(201);
      expect(created).toEqual({
        ref: 'refs/heads/feature',
        node_id: expect.any(String),
        url: `${server.url}/repos/${owner}/${repo}/git/refs/heads/feature`,
        object: { sha: head, type: 'commit', url: `${server.url}/repos/${owner}/${repo}/git/commits/${head}` },
      });
      expect((await statusOf(octokit.git.createRef({ owner, repo, ref: 'refs/heads/feature', sha: head }))).data).toMatchObject({
        message: 'Reference already exists',
      });
      expect((await statusOf(octokit.git.createRef({ owner, repo, ref: 'refs/heads/other', sha: '4'.repeat(40) }))).data).toMatchObject({
        message: 'Object does not exist',
      });
      expect((await statusOf(octokit.git.createRef({ owner, repo, ref: 'refs/heads/bad..name', sha: head }))).status).toBe(422);
      expect((await statusOf(octokit.git.createRef({ owner, repo, ref: 'refs/heads/feature/sub', sha: head }))).data).toMatchObject({
        message: 'Reference update failed',
      });

      expect((await octokit.git.updateRef({ owner, repo, ref: 'heads/feature', sha: second })).data.object.sha).toBe(second);
      const backwards = await statusOf(octokit.git.updateRef({ owner, repo, ref: 'heads/feature', sha: head }));
      expect(backwards).toMatchObject({ status: 422, data: { message: 'Update is not a fast forward', status: '422' } });
      expect((await octokit.git.updateRef({ owner, repo, ref: 'heads/feature', sha: head, force: true })).data.object.sha).toBe(head);
      expect((await statusOf(octokit.git.updateRef({ owner, repo, ref: 'heads/missing', sha: head }))).data).toMatchObject({
        message: 'Reference does not exist',
      });

      const { data: matching } = await octokit.git.listMatchingRefs({ owner, repo, ref: 'heads/' });
      expect(matching.map((ref) => ref.ref)).toEqual(['refs/heads/feature', 'refs/heads/main']);
      expect((await octokit.git.listMatchingRefs({ owner, repo, ref: 'heads/fea' })).data.map((ref) => ref.ref)).toEqual([
        'refs/heads/feature',
      ]);
      expect((await octokit.git.listMatchingRefs({ owner, repo, ref: 'tags' })).data).toEqual([]);

      expect((await octokit.git.deleteRef({ owner, repo, ref: 'heads/feature' })).status).toBe(204);
      expect((await statusOf(octokit.git.getRef({ owner, repo, ref: 'heads/feature' }))).status).toBe(404);
      expect((await statusOf(octokit.git.deleteRef({ owner, repo, ref: 'heads/feature' }))).data).toMatchObject({
        message: 'Reference does not exist',
      });
    });

    it('serialises concurrent ref updates: exactly one fast forward wins, the others get 422', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const { data: parent } = await octokit.git.getCommit({ owner, repo, commit_sha: head });
      const candidates = await Promise.all(
        Array.from(
          { length: 8 },
          async (_, index) =>
            (await octokit.git.createCommit({ owner, repo, message: `racer ${index}`, tree: parent.tree.sha, parents: [head] })).data.sha,
        ),
      );
      const outcomes = await Promise.allSettled(candidates.map((sha) => octokit.git.updateRef({ owner, repo, ref: 'heads/main', sha })));
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers.map((outcome) => [outcome.reason.status, outcome.reason.response.data.message])).toEqual(
        Array(7).fill([422, 'Update is not a fast forward']),
      );
      const { data: main } = await octokit.git.getRef({ owner, repo, ref: 'heads/main' });
      expect(main.object.sha).toBe((winners[0] as PromiseFulfilledResult<{ data: { object: { sha: string } } }>).value.data.object.sha);
    });

    it('creates annotated tags that refs and commits resolve through', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const { data: tag, status } = await octokit.git.createTag({
        owner,
        repo,
        tag: 'release/2024',
        message: 'Release 2024',
        object: head,
        type: 'commit',
        tagger: { name: 'Ada', email: 'ada@example.com', date: '2024-05-01T12:00:00Z' },
      });
      expect(status).toBe(201);
      expect(tag).toMatchObject({
        tag: 'release/2024',
        message: 'Release 2024',
        tagger: { name: 'Ada', email: 'ada@example.com', date: '2024-05-01T12:00:00Z' },
        object: { sha: head, type: 'commit', url: `${server.url}/repos/${owner}/${repo}/git/commits/${head}` },
        url: `${server.url}/repos/${owner}/${repo}/git/tags/${tag.sha}`,
      });
      expect((await octokit.git.getTag({ owner, repo, tag_sha: tag.sha })).data).toEqual(tag);
      await octokit.git.createRef({ owner, repo, ref: 'refs/tags/release/2024', sha: tag.sha });
      await octokit.git.createRef({ owner, repo, ref: 'refs/tags/v1', sha: head });
      const { data: ref } = await octokit.git.getRef({ owner, repo, ref: 'tags/release/2024' });
      expect(ref.object).toEqual({ sha: tag.sha, type: 'tag', url: `${server.url}/repos/${owner}/${repo}/git/tags/${tag.sha}` });
      const { data: tags } = await octokit.git.listMatchingRefs({ owner, repo, ref: 'tags/' });
      expect(tags.map((entry) => [entry.ref, entry.object.type])).toEqual([
        ['refs/tags/release/2024', 'tag'],
        ['refs/tags/v1', 'commit'],
      ]);
      const peeled = await octokit.repos.getCommit({ owner, repo, ref: 'release/2024', mediaType: { format: 'sha' } });
      expect(peeled.data).toBe(head);
      const wrongType = await statusOf(octokit.git.createTag({ owner, repo, tag: 'x', message: 'x', object: head, type: 'tree' }));
      expect(wrongType.status).toBe(422);
      expect((await statusOf(octokit.git.getTag({ owner, repo, tag_sha: head }))).status).toBe(404);
    });

    it('decodes percent-encoded and raw slashes in ref paths alike', async () => {
      const { owner, repo, head } = await initialisedRepository();
      await octokit.git.createRef({ owner, repo, ref: 'refs/tags/release/2024', sha: head });
      const encoded = await fetch(`${server.url}/repos/${owner}/${repo}/git/ref/tags%2Frelease%2F2024`);
      const raw = await fetch(`${server.url}/repos/${owner}/${repo}/git/ref/tags/release/2024`);
      expect(encoded.status).toBe(200);
      expect(await encoded.json()).toEqual(await raw.json());
      const patched = await fetch(`${server.url}/repos/${owner}/${repo}/git/refs/heads%2Fmain`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sha: head }),
      });
      expect(patched.status).toBe(200);
      const commit = await fetch(`${server.url}/repos/${owner}/${repo}/commits/release%2F2024`, {
        headers: { accept: 'application/vnd.github.sha' },
      });
      expect(await commit.text()).toBe(head);
    });

    it('answers 409 "Git Repository is empty." for Git Data and commits on an empty repository', async () => {
      const owner = newOrg();
      await octokit.repos.createInOrg({ org: owner, name: 'empty' });
      const repo = 'empty';
      const expected = {
        status: 409,
        data: {
          message: 'Git Repository is empty.',
          status: '409',
          documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com\/rest\//),
        },
      };
      expect(await statusOf(octokit.git.createBlob({ owner, repo, content: 'x' }))).toMatchObject(expected);
      expect(
        await statusOf(octokit.git.createTree({ owner, repo, tree: [{ path: 'a', mode: '100644', type: 'blob', content: 'a' }] })),
      ).toMatchObject(expected);
      expect(await statusOf(octokit.git.getRef({ owner, repo, ref: 'heads/main' }))).toMatchObject(expected);
      expect(await statusOf(octokit.git.listMatchingRefs({ owner, repo, ref: 'tags/' }))).toMatchObject(expected);
      expect(await statusOf(octokit.repos.getCommit({ owner, repo, ref: 'main' }))).toMatchObject(expected);
      expect(await statusOf(octokit.repos.listCommits({ owner, repo }))).toMatchObject(expected);
      expect(await statusOf(octokit.repos.getContent({ owner, repo, path: 'README.md' }))).toMatchObject({
        status: 404,
        data: { message: 'This repository is empty.' },
      });
    });
  });

  describe('commits', () => {
    it('resolves any ref to a commit, as JSON with stats and files or as the bare sha', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const second = await commitFiles(owner, repo, head, { 'README.md': '# changed\nline two\n', 'data/a.csv': 'x\n' }, 'second');
      await octokit.git.createRef({ owner, repo, ref: 'refs/tags/v1', sha: head });
      for (const ref of ['main', 'heads/main', 'refs/heads/main', 'HEAD', second, second.slice(0, 7)]) {
        expect((await octokit.repos.getCommit({ owner, repo, ref, mediaType: { format: 'sha' } })).data).toBe(second);
      }
      expect((await octokit.repos.getCommit({ owner, repo, ref: 'v1', mediaType: { format: 'sha' } })).data).toBe(head);
      const { data } = await octokit.repos.getCommit({ owner, repo, ref: 'main' });
      expect(data).toMatchObject({
        sha: second,
        commit: { message: 'second', tree: { sha: expect.any(String) } },
        author: { login: 'metastore-test' },
        parents: [{ sha: head }],
        stats: { additions: 3, deletions: 1, total: 4 },
      });
      expect(data.files?.map((file) => [file.filename, file.status, file.additions, file.deletions])).toEqual([
        ['README.md', 'modified', 2, 1],
        ['data/a.csv', 'added', 1, 0],
      ]);
      const unknown = await statusOf(octokit.repos.getCommit({ owner, repo, ref: 'no-such-branch' }));
      expect(unknown).toMatchObject({
        status: 422,
        data: {
          message: 'No commit found for SHA: no-such-branch',
          documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
        },
      });
    });

    it('lists history newest first with Link pagination, from any ref and for one path', async () => {
      const { owner, repo, head } = await initialisedRepository();
      let parent = head;
      const shas = [head];
      for (let index = 1; index <= 4; index++) {
        parent = await commitFiles(
          owner,
          repo,
          parent,
          index % 2 === 0 ? { 'even.txt': String(index) } : { 'odd.txt': String(index) },
          `commit ${index}`,
        );
        shas.unshift(parent);
      }
      const first = await octokit.repos.listCommits({ owner, repo, per_page: 2 });
      expect(first.data.map((commit) => commit.sha)).toEqual(shas.slice(0, 2));
      expect(first.headers.link).toContain(`<${server.url}/repos/${owner}/${repo}/commits?per_page=2&page=3>; rel="last"`);
      const all = await octokit.paginate(octokit.repos.listCommits, { owner, repo, per_page: 2 });
      expect(all.map((commit) => commit.sha)).toEqual(shas);
      expect((await octokit.repos.listCommits({ owner, repo, sha: shas[2] })).data.map((commit) => commit.sha)).toEqual(shas.slice(2));
      expect((await octokit.repos.listCommits({ owner, repo, path: 'even.txt' })).data.map((commit) => commit.commit.message)).toEqual([
        'commit 4',
        'commit 2',
      ]);
      expect((await statusOf(octokit.repos.listCommits({ owner, repo, sha: 'nope' }))).status).toBe(404);
    });
  });

  describe('contents', () => {
    it('answers files as JSON (base64) and raw, directories as listings, and 404s like GitHub', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const sha = await commitFiles(owner, repo, head, { 'data/2024/a b.csv': 'x,y\n1,2\n', 'data/readme.txt': 'hi' }, 'add data');
      await octokit.git.createRef({ owner, repo, ref: 'refs/tags/release/2024', sha });
      const { data: file } = await octokit.repos.getContent({ owner, repo, path: 'data/2024/a b.csv', ref: 'release/2024' });
      expect(file).toMatchObject({
        type: 'file',
        encoding: 'base64',
        size: 8,
        name: 'a b.csv',
        path: 'data/2024/a b.csv',
        url: `${server.url}/repos/${owner}/${repo}/contents/data/2024/a%20b.csv?ref=release%2F2024`,
        download_url: `${server.url}/${owner}/${repo}/raw/release%2F2024/data/2024/a%20b.csv`,
      });
      expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('x,y\n1,2\n');
      const raw = await octokit.repos.getContent({ owner, repo, path: 'data/2024/a b.csv', mediaType: { format: 'raw' } });
      expect(raw.data).toBe('x,y\n1,2\n');
      const download = await fetch((file as { download_url: string }).download_url);
      expect(await download.text()).toBe('x,y\n1,2\n');
      const { data: directory } = await octokit.repos.getContent({ owner, repo, path: 'data' });
      expect((directory as Array<{ name: string; type: string }>).map((entry) => [entry.name, entry.type])).toEqual([
        ['2024', 'dir'],
        ['readme.txt', 'file'],
      ]);
      const { data: root } = await octokit.repos.getContent({ owner, repo, path: '' });
      expect((root as Array<{ name: string }>).map((entry) => entry.name)).toEqual(['README.md', 'data']);
      const asObject = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        owner,
        repo,
        path: 'data',
        mediaType: { format: 'object' },
      });
      expect(asObject.data).toMatchObject({ type: 'dir', path: 'data', entries: [{ name: '2024' }, { name: 'readme.txt' }] });
      const missing = await statusOf(octokit.repos.getContent({ owner, repo, path: 'nope.txt' }));
      expect(missing).toMatchObject({
        status: 404,
        data: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content' },
      });
      const unknownRef = await statusOf(octokit.repos.getContent({ owner, repo, path: 'README.md', ref: 'nope' }));
      expect(unknownRef).toMatchObject({ status: 404, data: { message: 'No commit found for the ref nope' } });
    });

    it('serves files over 1 MB raw, and as JSON with empty content and encoding "none"', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const big = `${'0123456789abcdef'.repeat(70_000)}\n`;
      const { data: blob } = await octokit.git.createBlob({
        owner,
        repo,
        content: Buffer.from(big).toString('base64'),
        encoding: 'base64',
      });
      const { data: parent } = await octokit.git.getCommit({ owner, repo, commit_sha: head });
      const { data: tree } = await octokit.git.createTree({
        owner,
        repo,
        base_tree: parent.tree.sha,
        tree: [{ path: 'big.csv', mode: '100644', type: 'blob', sha: blob.sha }],
      });
      const { data: commit } = await octokit.git.createCommit({ owner, repo, message: 'big', tree: tree.sha, parents: [head] });
      const { data: json } = await octokit.repos.getContent({ owner, repo, path: 'big.csv', ref: commit.sha });
      expect(json).toMatchObject({ type: 'file', size: big.length, content: '', encoding: 'none', sha: blob.sha });
      const raw = await octokit.repos.getContent({ owner, repo, path: 'big.csv', ref: commit.sha, mediaType: { format: 'raw' } });
      expect(raw.data).toBe(big);
      const rawJson = await fetch(`${server.url}/repos/${owner}/${repo}/contents/big.csv?ref=${commit.sha}`, {
        headers: { accept: 'application/vnd.github.raw+json' },
      });
      expect((await rawJson.text()).length).toBe(big.length);
    });
  });

  describe('HTTP behaviour', () => {
    it('sends rate-limit and request-id headers, and counts every request but 304s', async () => {
      const { owner, repo } = await initialisedRepository();
      server.resetRequests();
      const first = await octokit.repos.get({ owner, repo });
      expect(first.headers).toMatchObject({
        'x-ratelimit-limit': '5000',
        'x-ratelimit-resource': 'core',
        'x-github-request-id': expect.stringMatching(/^[0-9A-F:]+$/),
      });
      const etag = first.headers.etag!;
      expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
      const remaining = Number(first.headers['x-ratelimit-remaining']);

      const notModified = await statusOf(octokit.repos.get({ owner, repo, headers: { 'if-none-match': etag } }));
      expect(notModified.status).toBe(304);
      expect(notModified.headers.etag).toBe(etag);
      expect(Number(notModified.headers['x-ratelimit-remaining'])).toBe(remaining);

      const again = await octokit.repos.get({ owner, repo });
      expect(Number(again.headers['x-ratelimit-remaining'])).toBe(remaining - 1);
      await octokit.repos.replaceAllTopics({ owner, repo, names: ['changed'] });
      const changed = await octokit.repos.get({ owner, repo, headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);

      expect(server.requests).toEqual([
        { method: 'GET', path: 'GET /repos/{owner}/{repo}', status: 200, rateLimited: true, credential: { type: 'token' } },
        { method: 'GET', path: 'GET /repos/{owner}/{repo}', status: 304, rateLimited: false, credential: { type: 'token' } },
        { method: 'GET', path: 'GET /repos/{owner}/{repo}', status: 200, rateLimited: true, credential: { type: 'token' } },
        { method: 'PUT', path: 'PUT /repos/{owner}/{repo}/topics', status: 200, rateLimited: true, credential: { type: 'token' } },
        { method: 'GET', path: 'GET /repos/{owner}/{repo}', status: 200, rateLimited: true, credential: { type: 'token' } },
      ]);
      const { data: limits } = await octokit.rateLimit.get();
      expect(limits.resources.core.remaining).toBe(remaining - 3);
      expect(server.requests.at(-1)).toEqual({
        method: 'GET',
        path: 'GET /rate_limit',
        status: 200,
        rateLimited: false,
        credential: { type: 'token' },
      });
    });

    it("answers conditional requests for a ref's sha with 304 until the ref moves", async () => {
      const { owner, repo, head } = await initialisedRepository();
      const first = await fetch(`${server.url}/repos/${owner}/${repo}/commits/main`, { headers: { accept: 'application/vnd.github.sha' } });
      const etag = first.headers.get('etag')!;
      const unchanged = await fetch(`${server.url}/repos/${owner}/${repo}/commits/main`, {
        headers: { accept: 'application/vnd.github.sha', 'if-none-match': etag },
      });
      expect(unchanged.status).toBe(304);
      await commitFiles(owner, repo, head, { 'x.txt': 'x' }, 'move');
      const moved = await fetch(`${server.url}/repos/${owner}/${repo}/commits/main`, {
        headers: { accept: 'application/vnd.github.sha', 'if-none-match': etag },
      });
      expect(moved.status).toBe(200);
    });

    it('accepts requests without a token and with Bearer tokens', async () => {
      const { owner, repo } = await initialisedRepository();
      expect((await fetch(`${server.url}/repos/${owner}/${repo}`)).status).toBe(200);
      expect((await fetch(`${server.url}/repos/${owner}/${repo}`, { headers: { authorization: 'Bearer abc' } })).status).toBe(200);
    });

    it('answers 400 "Problems parsing JSON" to a malformed body', async () => {
      const response = await fetch(`${server.url}/orgs/${newOrg()}/repos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ message: 'Problems parsing JSON', status: '400' });
    });
  });

  describe('on disk', () => {
    it('writes repositories that git fsck --strict accepts and git clone reproduces', async () => {
      const { owner, repo, head } = await initialisedRepository();
      const second = await commitFiles(owner, repo, head, { 'data/2024/a.csv': 'a\n', 'data.json': '{}', 'x.txt': 'x' }, 'Add data');
      const third = await commitFiles(owner, repo, second, { 'data/2024/a.csv': null, 'x.txt': 'y' }, 'Change data');
      const { data: tag } = await octokit.git.createTag({ owner, repo, tag: 'v1', message: 'Version 1', object: third, type: 'commit' });
      await octokit.git.createRef({ owner, repo, ref: 'refs/tags/v1', sha: tag.sha });
      const gitdir = server.repositoryPath(owner, repo);
      await run('git', ['--git-dir', gitdir, 'fsck', '--strict', '--no-dangling']);
      const clone = await mkdtemp(path.join(os.tmpdir(), 'github-test-clone-'));
      try {
        await run('git', ['clone', '--quiet', gitdir, clone]);
        const { stdout: log } = await run('git', ['-C', clone, 'log', '--format=%H %s']);
        expect(log.trim().split('\n')).toEqual([`${third} Change data`, `${second} Add data`, `${head} Initial commit`]);
        const { stdout: files } = await run('git', ['-C', clone, 'ls-files']);
        expect(files.trim().split('\n')).toEqual(['README.md', 'data.json', 'x.txt']);
        const { stdout: described } = await run('git', ['-C', clone, 'describe', '--tags']);
        expect(described.trim()).toBe('v1');
      } finally {
        await rm(clone, { recursive: true, force: true });
      }
    });

    it('keeps repositories when restarted on the same data directory', async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'github-test-data-'));
      try {
        const first = await startGitHubTestServer({ dataDir });
        const client = clientFor(first);
        await client.repos.createInOrg({ org: 'persisted', name: 'kept', auto_init: true });
        await client.repos.replaceAllTopics({ owner: 'persisted', repo: 'kept', names: ['kept'] });
        await first.close();
        const second = await startGitHubTestServer({ dataDir });
        const again = clientFor(second);
        expect((await again.repos.get({ owner: 'persisted', repo: 'kept' })).data.topics).toEqual(['kept']);
        expect((await again.repos.listCommits({ owner: 'persisted', repo: 'kept' })).data).toHaveLength(1);
        expect(second.violations).toEqual([]);
        await second.close();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});
