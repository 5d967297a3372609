import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CatalogSync } from '@metastore/catalog';
import { eventOptionsForApi, type MetastoreEvent } from '@metastore/events';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const run = promisify(execFile);
const HASH = `sha256:${'ab'.repeat(32)}`;
const PUSHER = {
  GIT_AUTHOR_NAME: 'Pusher',
  GIT_AUTHOR_EMAIL: 'pusher@example.com',
  GIT_COMMITTER_NAME: 'Pusher',
  GIT_COMMITTER_EMAIL: 'pusher@example.com',
};

const descriptor = (title: string) => ({
  $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
  name: 'rain',
  title,
  licenses: [{ name: 'CC0-1.0' }],
  resources: [{ name: 'daily', path: 'data/daily.csv', hash: HASH, bytes: 10 }],
});

/** `git` in a bare repository, as someone pushing to it around Metastore would. */
async function git(gitdir: string, args: string[], input?: string): Promise<string> {
  const options = { env: { ...process.env, ...PUSHER } };
  if (input === undefined) return (await run('git', ['--git-dir', gitdir, ...args], options)).stdout.trim();
  const child = execFile('git', ['--git-dir', gitdir, ...args], options);
  const output = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`git ${args.join(' ')}: ${stderr}`))));
  });
  child.stdin!.end(input);
  return output;
}

/**
 * Commits `content` as datapackage.json on top of main with git's plumbing (hash-object, mktree, commit-tree, update-ref); the other files
 * stay.
 */
async function pushDescriptor(gitdir: string, content: string): Promise<string> {
  const parent = await git(gitdir, ['rev-parse', 'refs/heads/main']);
  const blob = await git(gitdir, ['hash-object', '-w', '--stdin'], content);
  const entries = (await git(gitdir, ['ls-tree', parent])).split('\n').filter((line) => !line.endsWith('\tdatapackage.json'));
  const tree = await git(gitdir, ['mktree'], `${[...entries, `100644 blob ${blob}\tdatapackage.json`].join('\n')}\n`);
  const commit = await git(gitdir, ['commit-tree', tree, '-p', parent, '-m', 'Edit datapackage.json by hand']);
  await git(gitdir, ['update-ref', 'refs/heads/main', commit, parent]);
  return commit;
}

describe('metadata-api: a datapackage.json that is not valid JSON, pushed into the repository with git', () => {
  let server: TestServer;
  let counter = 0;
  let owner: string;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    counter += 1;
    owner = `pushed-${counter}`;
  });

  const api = () => server.http();
  const gitdir = () => path.join(server.dataDir, 'repositories', owner, 'rain.git');

  /** A dataset with a good first revision, then a broken one pushed by hand. */
  async function brokenDataset(content = '{ "name": "rain", oops }') {
    const created = await api()
      .post('/api/v1/datasets')
      .send({ owner, name: 'rain', descriptor: descriptor('Rain') });
    expect(created.status).toBe(201);
    const broken = await pushDescriptor(gitdir(), content);
    return { first: created.body.revision.sha as string, broken };
  }

  it('answers reads at the broken revision with 409 DESCRIPTOR_INVALID naming it, and reads elsewhere as before', async () => {
    const { first, broken } = await brokenDataset();
    const read = await api().get(`/api/v1/datasets/${owner}/rain`);
    expectDocumented('GET', '/datasets/{owner}/{name}', read);
    expect(read.status).toBe(409);
    expect(read.body).toMatchObject({ code: 'DESCRIPTOR_INVALID', type: 'urn:metastore:problem:descriptor-invalid' });
    expect(read.body.detail).toContain(`${owner}/rain at revision ${broken} is not valid JSON`);
    const resource = await api().get(`/api/v1/datasets/${owner}/rain/resources/daily`);
    expectDocumented('GET', '/datasets/{owner}/{name}/resources/{resource}', resource);
    expect([resource.status, resource.body.code]).toEqual([409, 'DESCRIPTOR_INVALID']);
    const earlier = await api().get(`/api/v1/datasets/${owner}/rain?ref=${first}`);
    expect([earlier.status, earlier.body.title]).toEqual([200, 'Rain']);

    const history = await api().get(`/api/v1/datasets/${owner}/rain/revisions`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((revision: { sha: string }) => revision.sha)).toEqual([broken, first]);
    for (const query of [`from=${first}`, `from=${broken}&to=${first}`]) {
      const diff = await api().get(`/api/v1/datasets/${owner}/rain/diff?${query}`);
      expectDocumented('GET', '/datasets/{owner}/{name}/diff', diff);
      expect([diff.status, diff.body.code]).toEqual([409, 'DESCRIPTOR_INVALID']);
      expect(diff.body.detail).toContain(broken);
    }

    await pushDescriptor(gitdir(), '[1, 2, 3]\n');
    const array = await api().get(`/api/v1/datasets/${owner}/rain`);
    expect([array.status, array.body.code]).toEqual([409, 'DESCRIPTOR_INVALID']);
    expect(array.body.detail).toContain('not a JSON object but an array');
  });

  it('refuses PATCH (nothing to merge into) and a revert to the broken revision, and writes nothing', async () => {
    const { broken } = await brokenDataset();
    const patched = await api()
      .patch(`/api/v1/datasets/${owner}/rain`)
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"title":"Patched"}');
    expectDocumented('PATCH', '/datasets/{owner}/{name}', patched);
    expect([patched.status, patched.body.code]).toEqual([409, 'DESCRIPTOR_INVALID']);
    const revertedToBroken = await api().post(`/api/v1/datasets/${owner}/rain/revert`).send({ to: broken });
    expect([revertedToBroken.status, revertedToBroken.body.code]).toEqual([409, 'DESCRIPTOR_INVALID']);
    expect(await git(gitdir(), ['rev-parse', 'refs/heads/main'])).toBe(broken);
  });

  it('is repaired by PUT, keeping the LFS pointer files, and by a revert to an earlier good revision', async () => {
    const { first, broken } = await brokenDataset();
    const replaced = await api().put(`/api/v1/datasets/${owner}/rain`).set('If-Match', `"${broken}"`).send(descriptor('Rain, repaired'));
    expectDocumented('PUT', '/datasets/{owner}/{name}', replaced);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ changed: true, revision: { parents: [broken] } });
    expect((await api().get(`/api/v1/datasets/${owner}/rain`)).body.title).toBe('Rain, repaired');
    const tree = await git(gitdir(), ['ls-tree', '-r', '--name-only', replaced.body.revision.sha]);
    expect(tree.split('\n')).toEqual(['.gitattributes', 'data/daily.csv', 'datapackage.json']);

    const brokenAgain = await pushDescriptor(gitdir(), 'not json at all');
    const reverted = await api().post(`/api/v1/datasets/${owner}/rain/revert`).send({ to: first });
    expectDocumented('POST', '/datasets/{owner}/{name}/revert', reverted);
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ changed: true, revertedTo: first, revision: { parents: [brokenAgain] } });
    expect((await api().get(`/api/v1/datasets/${owner}/rain`)).body.title).toBe('Rain');
    await run('git', ['--git-dir', gitdir(), 'fsck', '--strict']);
  });

  it('announces the pushed revision from the sync with descriptorInvalid and no descriptor link', async () => {
    const { broken } = await brokenDataset();
    const { catalog, backendStorage, config } = server.dependencies;
    const sync = new CatalogSync(backendStorage, catalog, {
      events: eventOptionsForApi(config.events.publicUrl, config.events.maxDescriptorBytes),
    });
    expect(await sync.reconcile({ owners: [owner] })).toMatchObject({ failures: 0 });
    const feed = await api().get('/api/v1/events?after=0&limit=1000');
    const event = (feed.body.items as { event: MetastoreEvent }[])
      .map((item) => item.event)
      .find((candidate) => candidate.data.newRevision === broken);
    expect(event).toMatchObject({ type: 'dataset.updated', subject: `${owner}/rain`, data: { origin: 'sync', descriptorInvalid: true } });
    for (const absent of ['descriptor', 'descriptorTruncated', 'descriptorUrl'] as const) expect(event!.data[absent]).toBeUndefined();
  });
});
