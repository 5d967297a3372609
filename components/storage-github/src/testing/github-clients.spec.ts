import { Octokit } from '@octokit/rest';
import { type GitHubTestServer, startGitHubTestServer } from './github-test-server';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let sequence = 0;
const newOrg = () => `clients-${process.pid}-${++sequence}`;

/** The status and message of a rejected octokit call. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (rejected: unknown) => rejected as { status: number; response?: { data: { message: string } } },
  );
  if (!error) throw new Error('expected the request to fail');
  return { status: error.status, message: error.response?.data.message ?? '' };
}

// What common clients do beyond the adapter's calls: look up the owner accounts, and edit files through the Contents API.
describe('GitHub test server for common @octokit/rest calls', () => {
  let server: GitHubTestServer;
  let octokit: Octokit;

  beforeAll(async () => {
    server = await startGitHubTestServer({ authenticatedUser: 'octo-user' });
    octokit = new Octokit({ baseUrl: server.url, auth: 'any-token', log: quiet });
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  it('answers GET /orgs/{org} and GET /users/{username} for owners made on first use, 404 for the others', async () => {
    const org = newOrg();
    expect((await failure(octokit.orgs.get({ org }))).status).toBe(404);
    await octokit.repos.createInOrg({ org, name: 'one', private: true });
    await octokit.repos.createInOrg({ org, name: 'two' });
    const { data: organization } = await octokit.orgs.get({ org });
    expect(organization).toMatchObject({ login: org, type: 'Organization', public_repos: 1, total_private_repos: 1 });
    expect(organization.repos_url).toBe(`${server.url}/orgs/${org}/repos`);
    const { data: asUser } = await octokit.users.getByUsername({ username: org });
    expect(asUser).toMatchObject({ login: org, type: 'Organization', id: organization.id });
    const { data: user } = await octokit.users.getByUsername({ username: 'octo-user' });
    expect(user).toMatchObject({ login: 'octo-user', type: 'User', user_view_type: 'public' });
    expect((await failure(octokit.users.getByUsername({ username: 'nobody-here' }))).status).toBe(404);
    expect((await failure(octokit.orgs.get({ org: 'octo-user' }))).status).toBe(404);
  });

  it('creates, updates and deletes files through the Contents API, each as one commit, guarded by the blob sha', async () => {
    const owner = newOrg();
    const repo = 'files';
    await octokit.repos.createInOrg({ org: owner, name: repo });
    const content = (text: string) => Buffer.from(text).toString('base64');
    const made = await octokit.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: 'data/a.json',
      message: 'Add a',
      content: content('{"a":1}\n'),
      committer: { name: 'Ada', email: 'ada@example.com' },
    });
    expect(made.status).toBe(201);
    expect(made.data.content).toMatchObject({ path: 'data/a.json', type: 'file', size: 8 });
    expect(made.data.commit).toMatchObject({ message: 'Add a', committer: { name: 'Ada' }, parents: [] });
    const { data: file } = await octokit.repos.getContent({ owner, repo, path: 'data/a.json' });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('{"a":1}\n');

    const updated = await octokit.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: 'data/a.json',
      message: 'Change a',
      content: content('{"a":2}\n'),
      sha: made.data.content!.sha!,
    });
    expect(updated.status).toBe(200);
    expect(updated.data.commit.parents!.map((parent) => parent.sha)).toEqual([made.data.commit.sha]);
    expect(
      await failure(
        octokit.repos.createOrUpdateFileContents({
          owner,
          repo,
          path: 'data/a.json',
          message: 'Stale',
          content: content('{"a":3}\n'),
          sha: made.data.content!.sha!,
        }),
      ),
    ).toEqual({ status: 409, message: `data/a.json does not match ${made.data.content!.sha}` });
    expect(
      (
        await failure(
          octokit.repos.createOrUpdateFileContents({ owner, repo, path: 'data/a.json', message: 'No sha', content: content('x') }),
        )
      ).status,
    ).toBe(422);

    const removed = await octokit.repos.deleteFile({
      owner,
      repo,
      path: 'data/a.json',
      message: 'Remove a',
      sha: updated.data.content!.sha!,
    });
    expect(removed.data.content).toBeNull();
    expect((await failure(octokit.repos.getContent({ owner, repo, path: 'data/a.json' }))).status).toBe(404);
    expect(
      (await failure(octokit.repos.deleteFile({ owner, repo, path: 'data/a.json', message: 'Again', sha: updated.data.content!.sha! })))
        .status,
    ).toBe(404);
    const { data: history } = await octokit.repos.listCommits({ owner, repo });
    expect(history.map((commit) => commit.commit.message)).toEqual(['Remove a', 'Change a', 'Add a']);
  });
});
