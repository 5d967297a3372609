import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeDatasetStorageContract, uniqueOwner } from '@metastore/storage/testing';
import { LocalGitStorage } from './local-git.adapter';
import { parseLocalGitStorageConfig } from './local-git.config';

const run = promisify(execFile);

async function makeStorage(): Promise<{ storage: LocalGitStorage; dataDir: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-local-'));
  return { storage: new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir })), dataDir };
}

describeDatasetStorageContract('local git', async () => {
  const { storage, dataDir } = await makeStorage();
  return { storage, teardown: () => rm(dataDir, { recursive: true, force: true }) };
});

describe('LocalGitStorage on disk', () => {
  let storage: LocalGitStorage;
  let dataDir: string;
  const author = { name: 'Alice', email: 'alice@example.com' };

  beforeAll(async () => {
    ({ storage, dataDir } = await makeStorage());
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('writes bare repositories that git fsck accepts and git clone reproduces', async () => {
    const id = { owner: uniqueOwner('disk'), name: 'weather' };
    const first = await storage.createDataset(id, {
      files: [
        { path: 'datapackage.json', content: '{"name":"weather"}\n' },
        { path: 'data/2024/jan.csv', content: 'pointer\n' },
      ],
      message: 'Create weather',
      author,
    });
    const second = await storage.commit(id, {
      parent: first.sha,
      changes: [
        { path: 'data/2024/jan.csv', delete: true },
        { path: 'data/2025/feb.csv', content: 'pointer 2\n' },
      ],
      message: 'Move data',
      author,
    });
    await storage.createTag(id, { name: 'v1', target: first.sha, description: 'First', author });

    const gitdir = storage.repositoryPath(id);
    await run('git', ['-C', gitdir, 'fsck', '--strict', '--no-dangling']);
    const { stdout: log } = await run('git', ['-C', gitdir, 'log', '--format=%H %P|%an <%ae>|%s', 'main']);
    expect(log.trim().split('\n')).toEqual([
      `${second.sha} ${first.sha}|Alice <alice@example.com>|Move data`,
      `${first.sha} |Alice <alice@example.com>|Create weather`,
    ]);
    const { stdout: tagText } = await run('git', ['-C', gitdir, 'tag', '-n1', '-l']);
    expect(tagText).toMatch(/^v1\s+First/);

    const clone = path.join(dataDir, 'clone');
    await run('git', ['clone', '--quiet', gitdir, clone]);
    const { stdout: files } = await run('git', ['-C', clone, 'ls-files']);
    // The emptied directory data/2024 is gone from the tree.
    expect(files.trim().split('\n')).toEqual(['data/2025/feb.csv', 'datapackage.json']);
    const { stdout: described } = await run('git', ['-C', clone, 'describe', '--tags', first.sha]);
    expect(described.trim()).toBe('v1');
  });

  it('reads tags and commits that plain git wrote into the repository', async () => {
    const id = { owner: uniqueOwner('disk'), name: 'pushed' };
    const created = await storage.createDataset(id, {
      files: [{ path: 'datapackage.json', content: '{}' }],
      message: 'Create',
      author,
    });
    const gitdir = storage.repositoryPath(id);
    const env = { ...process.env, GIT_COMMITTER_NAME: 'Git', GIT_COMMITTER_EMAIL: 'git@example.com' };
    await run('git', ['-C', gitdir, 'tag', '-a', 'from-git', '-m', 'Tagged by git', created.sha], { env });
    await run('git', ['-C', gitdir, 'tag', 'lightweight', created.sha], { env });
    expect(await storage.getTag(id, 'from-git')).toMatchObject({ target: created.sha, description: 'Tagged by git', author: { name: 'Git' } });
    expect(await storage.getTag(id, 'lightweight')).toMatchObject({ target: created.sha, description: '' });
    await run('git', ['-C', gitdir, 'pack-refs', '--all']);
    // Packed refs still resolve, and a commit after packing still compares against the packed head.
    expect(await storage.resolveRef(id, 'from-git')).toBe(created.sha);
    const next = await storage.commit(id, { parent: created.sha, changes: [{ path: 'a.txt', content: 'a' }], message: 'After pack', author });
    expect(await storage.resolveRef(id)).toBe(next.sha);
  });

  it('refuses a commit while another process holds the ref lock, leaving the head alone', async () => {
    const id = { owner: uniqueOwner('disk'), name: 'locked' };
    const created = await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'Create', author });
    const lockFile = path.join(storage.repositoryPath(id), 'refs', 'heads', 'main.lock');
    await run('touch', [lockFile]);
    await expect(
      storage.commit(id, { parent: created.sha, changes: [{ path: 'x', content: 'x' }], message: 'blocked', author }),
    ).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
    await rm(lockFile);
    expect(await storage.resolveRef(id)).toBe(created.sha);
  });

  it('rejects bad configuration with a message naming the setting', () => {
    expect(() => parseLocalGitStorageConfig({ METASTORE_DEFAULT_BRANCH: '../evil' })).toThrow(/METASTORE_DEFAULT_BRANCH/);
    expect(() => parseLocalGitStorageConfig({ METASTORE_LOCAL_CACHE_ENTRIES: 'many' })).toThrow(/METASTORE_LOCAL_CACHE_ENTRIES/);
  });
});
