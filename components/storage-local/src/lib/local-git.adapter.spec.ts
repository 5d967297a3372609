import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { recordSyncs } from '@metastore/durable-files/testing';
import { describeDatasetStorageContract, uniqueOwner } from '@metastore/storage/testing';
import { LocalGitStorage } from './local-git.adapter';
import { parseLocalGitStorageConfig } from './local-git.config';
import { currentLockOwner, STALE_LOCK_AFTER_MS } from './ref-lock';

const run = promisify(execFile);

async function makeStorage(): Promise<{ storage: LocalGitStorage; dataDir: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-local-'));
  return { storage: new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir })), dataDir };
}

/** Sets the mtime of every loose ref file and of packed-refs a minute back, past the ref readers' racy window. */
async function ageRefs(gitdir: string): Promise<void> {
  const entries = await readdir(path.join(gitdir, 'refs'), { recursive: true, withFileTypes: true }).catch(() => []);
  const when = new Date(Date.now() - 60_000);
  for (const entry of entries) if (entry.isFile()) await utimes(path.join(entry.parentPath, entry.name), when, when);
  await utimes(path.join(gitdir, 'packed-refs'), when, when).catch(() => undefined);
}

describeDatasetStorageContract('local git', async () => {
  const { storage, dataDir } = await makeStorage();
  return {
    storage,
    teardown: () => rm(dataDir, { recursive: true, force: true }),
    ageRefs: (id) => ageRefs(storage.repositoryPath(id)),
  };
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
    expect(await storage.getTag(id, 'from-git')).toMatchObject({
      target: created.sha,
      description: 'Tagged by git',
      author: { name: 'Git' },
    });
    expect(await storage.getTag(id, 'lightweight')).toMatchObject({ target: created.sha, description: '' });
    await run('git', ['-C', gitdir, 'pack-refs', '--all']);
    // Packed refs still resolve, and a commit after packing still compares against the packed head.
    expect(await storage.resolveRef(id, 'from-git')).toBe(created.sha);
    const next = await storage.commit(id, {
      parent: created.sha,
      changes: [{ path: 'a.txt', content: 'a' }],
      message: 'After pack',
      author,
    });
    expect(await storage.resolveRef(id)).toBe(next.sha);
  });

  it('lists at once the tags git moves, deletes, packs and overrides behind its back, every ref file past the racy window', async () => {
    const id = { owner: uniqueOwner('disk'), name: 'listed' };
    const first = await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'Create', author });
    const second = await storage.commit(id, { parent: first.sha, changes: [{ path: 'x', content: 'x' }], message: 'n', author });
    await storage.createTag(id, { name: 'v1', target: first.sha, description: 'First', author });
    await storage.createTag(id, { name: 'v2', target: first.sha, description: 'Second', author });
    const gitdir = storage.repositoryPath(id);
    const env = { ...process.env, GIT_COMMITTER_NAME: 'Git', GIT_COMMITTER_EMAIL: 'git@example.com' };
    const gitThenAge = async (...args: string[]) => {
      await run('git', ['-C', gitdir, ...args], { env });
      await ageRefs(gitdir);
    };
    const listed = async () =>
      (await storage.listTags(id, { limit: 10 })).items.map((tag) => `${tag.name}>${tag.target.slice(0, 7)}:${tag.description}`);
    await ageRefs(gitdir);
    const [a, b] = [first.sha.slice(0, 7), second.sha.slice(0, 7)];
    expect(await listed()).toEqual([`v1>${a}:First`, `v2>${a}:Second`]);
    expect(await listed()).toEqual([`v1>${a}:First`, `v2>${a}:Second`]);
    await gitThenAge('tag', '-f', '-a', 'v1', '-m', 'Moved by git', second.sha);
    expect(await listed()).toEqual([`v1>${b}:Moved by git`, `v2>${a}:Second`]);
    await gitThenAge('pack-refs', '--all');
    expect(await listed()).toEqual([`v1>${b}:Moved by git`, `v2>${a}:Second`]);
    await gitThenAge('tag', '-d', 'v2');
    expect(await listed()).toEqual([`v1>${b}:Moved by git`]);
    // A loose ref wins over the packed one; once it is gone, the packed one counts again.
    await gitThenAge('tag', '-f', 'v1', first.sha);
    expect(await listed()).toEqual([`v1>${a}:`]);
    await expect(storage.getTag(id, 'v1')).resolves.toMatchObject({ target: first.sha, description: '' });
    await rm(path.join(gitdir, 'refs', 'tags', 'v1'));
    expect(await listed()).toEqual([`v1>${b}:Moved by git`]);
    await gitThenAge('tag', '-a', 'v3', '-m', 'Added by git', first.sha);
    expect(await listed()).toEqual([`v1>${b}:Moved by git`, `v3>${a}:Added by git`]);
    await gitThenAge('tag', '-d', 'v1');
    expect(await listed()).toEqual([`v3>${a}:Added by git`]);
    await expect(storage.getTag(id, 'v1')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
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

describe('LocalGitStorage.peekRef (what resolveRef answers, known without waiting)', () => {
  let storage: LocalGitStorage;
  let dataDir: string;
  const author = { name: 'Alice', email: 'alice@example.com' };
  const files = [{ path: 'datapackage.json', content: '{}' }];

  beforeEach(async () => {
    ({ storage, dataDir } = await makeStorage());
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('knows the head once read from a ref file older than the racy window, and forgets it when the file changes', async () => {
    const id = { owner: uniqueOwner('peek'), name: 'head' };
    const first = await storage.createDataset(id, { files, message: 'c', author });
    expect(storage.peekRef(id)).toBeUndefined();
    // Just written: resolveRef reads it, but a file modified within the last second is never trusted from memory.
    expect(await storage.resolveRef(id)).toBe(first.sha);
    expect(storage.peekRef(id)).toBeUndefined();
    await ageRefs(storage.repositoryPath(id));
    expect(storage.peekRef(id)).toBeUndefined();
    expect(await storage.resolveRef(id)).toBe(first.sha);
    expect(storage.peekRef(id)).toBe(first.sha);
    // A fresh instance (another process) knows nothing until it reads.
    expect(new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir })).peekRef(id)).toBeUndefined();

    const second = await storage.commit(id, { parent: first.sha, changes: [{ path: 'x', content: 'x' }], message: 'n', author });
    expect(storage.peekRef(id)).toBeUndefined();
    await ageRefs(storage.repositoryPath(id));
    expect(await storage.resolveRef(id)).toBe(second.sha);
    expect(storage.peekRef(id)).toBe(second.sha);
    // Moved by plain git (another process) and aged at once: the ref file's signature changed, so peekRef does not answer.
    await run('git', ['-C', storage.repositoryPath(id), 'update-ref', 'refs/heads/main', first.sha]);
    await ageRefs(storage.repositoryPath(id));
    expect(storage.peekRef(id)).toBeUndefined();
    expect(await storage.resolveRef(id)).toBe(first.sha);
    expect(storage.peekRef(id)).toBe(first.sha);
  });

  it('knows a tag peeled to its commit once resolveRef peeled it, and forgets a moved or deleted tag', async () => {
    const id = { owner: uniqueOwner('peek'), name: 'tags' };
    const first = await storage.createDataset(id, { files, message: 'c', author });
    const second = await storage.commit(id, { parent: first.sha, changes: [{ path: 'x', content: 'x' }], message: 'n', author });
    await storage.createTag(id, { name: 'v1', target: first.sha, description: 'annotated', author });
    await run('git', ['-C', storage.repositoryPath(id), 'tag', 'light', second.sha]);
    await ageRefs(storage.repositoryPath(id));
    expect(storage.peekRef(id, 'v1')).toBeUndefined();
    expect(storage.peekRef(id, 'light')).toBeUndefined();
    expect(await storage.resolveRef(id, 'v1')).toBe(first.sha);
    expect(await storage.resolveRef(id, 'light')).toBe(second.sha);
    // The annotated tag's ref names the tag object: peekRef answers the commit it peels to, as resolveRef does.
    const tagObject = (await readFile(path.join(storage.repositoryPath(id), 'refs', 'tags', 'v1'), 'utf8')).trim();
    expect(tagObject).not.toBe(first.sha);
    expect(storage.peekRef(id, 'v1')).toBe(first.sha);
    expect(storage.peekRef(id, 'light')).toBe(second.sha);
    // A branch name resolves through refs/heads, which peekRef leaves to resolveRef.
    expect(await storage.resolveRef(id, 'main')).toBe(second.sha);
    expect(storage.peekRef(id, 'main')).toBeUndefined();

    await storage.replaceTag(id, { name: 'v1', target: second.sha, description: 'moved', author });
    expect(storage.peekRef(id, 'v1')).toBeUndefined();
    await ageRefs(storage.repositoryPath(id));
    expect(storage.peekRef(id, 'v1')).toBeUndefined();
    expect(await storage.resolveRef(id, 'v1')).toBe(second.sha);
    expect(storage.peekRef(id, 'v1')).toBe(second.sha);
    await storage.deleteTag(id, 'v1');
    expect(storage.peekRef(id, 'v1')).toBeUndefined();
  });

  it('knows a full sha only as a commit of that dataset while its repository is there', async () => {
    const id = { owner: uniqueOwner('peek'), name: 'shas' };
    const other = { owner: id.owner, name: 'other' };
    const created = await storage.createDataset(id, { files, message: 'c', author });
    await storage.createDataset(other, { files: [{ path: 'datapackage.json', content: '{"other":true}' }], message: 'c', author });
    expect(storage.peekRef(id, created.sha)).toBe(created.sha);
    expect(storage.peekRef(other, created.sha)).toBeUndefined();
    expect(storage.peekRef(id, '0'.repeat(40))).toBeUndefined();
    await expect(storage.resolveRef(id, '0'.repeat(40))).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
    expect(storage.peekRef(id, '0'.repeat(40))).toBeUndefined();
    // A sha known only from a read of another instance's commit.
    const fresh = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    expect(fresh.peekRef(id, created.sha)).toBeUndefined();
    expect(await fresh.resolveRef(id, created.sha)).toBe(created.sha);
    expect(fresh.peekRef(id, created.sha)).toBe(created.sha);
    // The repository removed behind the instance's back (another process deleted the dataset).
    await rm(storage.repositoryPath(id), { recursive: true });
    expect(fresh.peekRef(id, created.sha)).toBeUndefined();
    await expect(fresh.resolveRef(id, created.sha)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('answers nothing for a deleted dataset, an invalid or unread ref, and never throws', async () => {
    const id = { owner: uniqueOwner('peek'), name: 'gone' };
    const created = await storage.createDataset(id, { files, message: 'c', author });
    await storage.createTag(id, { name: 'v1', target: created.sha, description: '', author });
    await ageRefs(storage.repositoryPath(id));
    expect(await storage.resolveRef(id)).toBe(created.sha);
    expect(await storage.resolveRef(id, 'v1')).toBe(created.sha);
    expect([storage.peekRef(id), storage.peekRef(id, 'v1'), storage.peekRef(id, created.sha)]).toEqual([
      created.sha,
      created.sha,
      created.sha,
    ]);
    for (const ref of ['../../etc/passwd', 'bad..name', 'v1.lock', 'a b', '', '-', created.sha.slice(0, 10), 'never-read']) {
      expect({ ref, peeked: storage.peekRef(id, ref) }).toEqual({ ref, peeked: undefined });
    }
    // A ref file stat cannot follow (a link to itself: ELOOP) is no answer and no error.
    const tagFile = path.join(storage.repositoryPath(id), 'refs', 'tags', 'v1');
    await rm(tagFile);
    await symlink(tagFile, tagFile);
    expect(storage.peekRef(id, 'v1')).toBeUndefined();
    await rm(tagFile);

    await storage.deleteDataset(id);
    expect([storage.peekRef(id), storage.peekRef(id, 'v1'), storage.peekRef(id, created.sha)]).toEqual([undefined, undefined, undefined]);
    expect(storage.peekRef({ owner: uniqueOwner('peek'), name: 'never' })).toBeUndefined();
  });
});

describe('LocalGitStorage after a crash', () => {
  const root = path.resolve(__dirname, '../../../..');
  const author = { name: 'Alice', email: 'alice@example.com' };
  const linuxOnly = process.platform === 'linux' ? it : it.skip;
  let storage: LocalGitStorage;
  let dataDir: string;
  let id: { owner: string; name: string };
  let first: string;

  beforeAll(async () => {
    ({ storage, dataDir } = await makeStorage());
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));
  beforeEach(async () => {
    id = { owner: uniqueOwner('crash'), name: 'sample' };
    first = (await storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{"v":1}\n' }], message: 'Create', author }))
      .sha;
  });

  const headLock = () => path.join(storage.repositoryPath(id), 'refs', 'heads', 'main.lock');
  const commitOnHead = async (content = `{"at":${Date.now()}}`) =>
    storage.commit(id, { parent: await storage.resolveRef(id), changes: [{ path: 'datapackage.json', content }], message: 'Next', author });
  const fsck = () => run('git', ['-C', storage.repositoryPath(id), 'fsck', '--strict', '--no-dangling']);

  async function writeLock(file: string, content: string, ageMs = 0): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    const when = new Date(Date.now() - ageMs);
    await utimes(file, when, when);
  }

  /** A loose object's file in the dataset's repository. */
  function objectFile(oid: string): string {
    return path.join(storage.repositoryPath(id), 'objects', oid.slice(0, 2), oid.slice(2));
  }

  it('respects the lock of a live writer process and breaks it once that process is killed', async () => {
    // The other process takes the branch's lock as a writer does, then stops there (as if stuck mid-write).
    const script = `require('./components/storage-local/src/lib/ref-lock.ts').acquireLock(process.argv[1], process.argv[2]).then(
      () => { console.log('locked'); setInterval(() => undefined, 1000); })`;
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', script, storage.repositoryPath(id), headLock().slice(0, -'.lock'.length)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const exited = once(holder, 'close').then(() => Buffer.from('exited before taking the lock'));
      const output = await Promise.race([once(holder.stdout!, 'data').then(([chunk]) => chunk as Buffer), exited]);
      expect(output.toString()).toContain('locked');
      expect(JSON.parse(await readFile(headLock(), 'utf8'))).toMatchObject({ pid: holder.pid, host: os.hostname() });
      await expect(commitOnHead()).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'close');
    }
    const next = await commitOnHead();
    expect(await storage.resolveRef(id)).toBe(next.sha);
    await expect(readFile(headLock())).rejects.toMatchObject({ code: 'ENOENT' });
    await fsck();
  });

  it('breaks a lock whose owner pid is dead, or was reused by a process that started later', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    await writeLock(headLock(), JSON.stringify({ ...(await currentLockOwner()), pid: child.pid }));
    await commitOnHead('{"after":"dead pid"}');
    // Our own pid, recorded by an earlier process (a container restarted as pid 1, say).
    await writeLock(headLock(), JSON.stringify({ ...(await currentLockOwner()), process: 'an-earlier-process' }));
    await commitOnHead('{"after":"own pid reused"}');
    expect((await storage.listRevisions(id, { limit: 10 })).items).toHaveLength(3);
  });

  it('breaks a stale branch lock for a conditional delete too, and keeps a live one', async () => {
    await writeLock(headLock(), JSON.stringify({ ...(await currentLockOwner()), host: 'another-host' }));
    await expect(storage.deleteDataset(id, { expectedHead: first })).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
    await writeLock(headLock(), JSON.stringify({ ...(await currentLockOwner()), process: 'an-earlier-process' }));
    await storage.deleteDataset(id, { expectedHead: first });
    await expect(storage.resolveRef(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  linuxOnly('breaks a lock whose pid now belongs to a process that started after the lock was taken', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)']);
    try {
      await writeLock(headLock(), JSON.stringify({ ...(await currentLockOwner()), pid: other.pid, startTicks: '1' }));
      await commitOnHead();
    } finally {
      other.kill('SIGKILL');
      await once(other, 'close');
    }
  });

  it('breaks an ownerless or foreign lock only once it is older than the bound', async () => {
    for (const content of ['', `${first}\n`, JSON.stringify({ ...(await currentLockOwner()), host: 'another-host' })]) {
      await writeLock(headLock(), content);
      await expect(commitOnHead()).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
      await writeLock(headLock(), content, STALE_LOCK_AFTER_MS + 60_000);
      await commitOnHead();
    }
    // The lock of an abandoned tag write too: the tag can be created after all.
    const tagLock = path.join(storage.repositoryPath(id), 'refs', 'tags', 'release', 'v1.lock');
    await writeLock(tagLock, '', STALE_LOCK_AFTER_MS + 60_000);
    await storage.createTag(id, { name: 'release/v1', target: first, description: '', author });
    expect((await storage.getTag(id, 'release/v1')).target).toBe(first);
  });

  it('never lists or reads a lock file as a tag', async () => {
    await storage.createTag(id, { name: 'v1', target: first, description: 'One', author });
    const tags = path.join(storage.repositoryPath(id), 'refs', 'tags');
    await writeLock(path.join(tags, 'v2.lock'), `${first}\n`);
    await writeLock(path.join(tags, 'release', 'x.lock'), '');
    expect((await storage.listTags(id, { limit: 10 })).items.map((tag) => tag.name)).toEqual(['v1']);
    await expect(storage.getTag(id, 'v2.lock')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
    await expect(storage.resolveRef(id, 'v2.lock')).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
    // A tag being created (its lock held) is neither listed nor created twice.
    await expect(storage.createTag(id, { name: 'v2', target: first, description: '', author })).rejects.toMatchObject({
      code: 'REVISION_CONFLICT',
    });
  });

  it('rewrites an empty or truncated object a killed write left, instead of trusting it', async () => {
    const emptyContent = '{"retried":"empty"}\n';
    const truncatedContent = '{"retried":"truncated"}\n';
    const empty = (await git.hashBlob({ object: emptyContent })).oid;
    const truncated = (await git.hashBlob({ object: truncatedContent })).oid;
    await mkdir(path.dirname(objectFile(empty)), { recursive: true });
    await writeFile(objectFile(empty), '');
    await mkdir(path.dirname(objectFile(truncated)), { recursive: true });
    const whole = deflateSync(Buffer.from(`blob ${Buffer.byteLength(truncatedContent)}\0${truncatedContent}`));
    await writeFile(objectFile(truncated), whole.subarray(0, whole.length - 4));

    const retried = await storage.commit(id, {
      parent: first,
      changes: [
        { path: 'datapackage.json', content: emptyContent },
        { path: 'data/b.txt', content: truncatedContent },
      ],
      message: 'Retried after a crash',
      author,
    });
    await fsck();
    const fresh = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    expect(await fresh.readFile(id, retried.sha, 'datapackage.json')).toBe(emptyContent);
    expect(await fresh.readFile(id, retried.sha, 'data/b.txt')).toBe(truncatedContent);
  });

  it('answers a read of an empty object with an error naming the object', async () => {
    const oid = (await git.hashBlob({ object: '{"v":1}\n' })).oid;
    await rm(objectFile(oid));
    await writeFile(objectFile(oid), '');
    const fresh = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    const failure = await fresh.readFile(id, first, 'datapackage.json').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining(oid) });
  });

  it.each([
    ['not zlib at all', () => Buffer.from('garbage, not a deflated object')],
    ['truncated', (whole: Buffer) => whole.subarray(0, whole.length - 6)],
    ['of another size than its header says', () => deflateSync(Buffer.from('blob 99\0{"v":1}\n'))],
  ])('answers a read of an object that is %s with an error naming the object', async (_label, corrupt) => {
    const oid = (await git.hashBlob({ object: '{"v":1}\n' })).oid;
    const whole = await readFile(objectFile(oid));
    await rm(objectFile(oid));
    await writeFile(objectFile(oid), corrupt(deflateSync(Buffer.from('blob 8\0{"v":1}\n'))));
    const fresh = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    const failure = await fresh.readFile(id, first, 'datapackage.json').catch((error: unknown) => error);
    await rm(objectFile(oid));
    await writeFile(objectFile(oid), whole);
    expect(failure).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining(oid) });
  });

  it('deletes a packed tag from packed-refs under the locks, as git does', async () => {
    await storage.createTag(id, { name: 'a', target: first, description: '', author });
    await storage.createTag(id, { name: 'b', target: first, description: '', author });
    await storage.createTag(id, { name: 'nested/c', target: first, description: '', author });
    await run('git', ['-C', storage.repositoryPath(id), 'pack-refs', '--all']);
    await rm(path.join(storage.repositoryPath(id), 'refs', 'tags', 'nested'), { recursive: true, force: true });
    await storage.deleteTag(id, 'a');
    await storage.deleteTag(id, 'nested/c');
    const { stdout } = await run('git', ['-C', storage.repositoryPath(id), 'show-ref', '--tags']);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[1]),
    ).toEqual(['refs/tags/b']);
    expect((await storage.listTags(id, { limit: 10 })).items.map((tag) => tag.name)).toEqual(['b']);
    await fsck();
  });

  it('leaves no lock or temporary file behind after writes', async () => {
    const next = await commitOnHead();
    await storage.createTag(id, { name: 'nested/t', target: next.sha, description: '', author });
    await storage.replaceTag(id, { name: 'nested/t', target: first, description: 'moved', author });
    await storage.deleteTag(id, 'nested/t');
    const leftovers = async (directory: string): Promise<string[]> =>
      (
        await Promise.all(
          (await readdir(directory, { withFileTypes: true })).map((entry) =>
            entry.isDirectory() ? leftovers(path.join(directory, entry.name)) : [entry.name],
          ),
        )
      )
        .flat()
        .filter((name) => name.endsWith('.lock') || name.startsWith('tmp_obj_') || name.startsWith('metastore-'));
    expect(await leftovers(storage.repositoryPath(id))).toEqual([]);
  });
});

describe('LocalGitStorage creating a dataset', () => {
  const author = { name: 'Alice', email: 'alice@example.com' };
  let storage: LocalGitStorage;
  let dataDir: string;
  beforeEach(async () => {
    ({ storage, dataDir } = await makeStorage());
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  /** Every file and directory under `directory` (itself as '.'), relative to it. */
  async function entriesUnder(directory: string, prefix = '.'): Promise<string[]> {
    const children = await readdir(directory, { withFileTypes: true });
    const below = await Promise.all(
      children.map((child) => {
        const name = prefix === '.' ? child.name : `${prefix}/${child.name}`;
        return child.isDirectory() ? entriesUnder(path.join(directory, child.name), name) : [name];
      }),
    );
    return [prefix, ...below.flat()];
  }

  it('syncs each file and directory of the new repository exactly once before renaming it into place, then its parent', async () => {
    const id = { owner: 'durable', name: 'once' };
    const recorder = await recordSyncs(dataDir);
    try {
      await storage.createDataset(id, {
        files: [
          { path: 'datapackage.json', content: '{"name":"once"}\n' },
          { path: 'data/a.csv', content: 'pointer a\n' },
        ],
        message: 'Create',
        author,
      });
    } finally {
      recorder.stop();
    }
    // Follow every path through the renames (a temporary object to its name, the staged repository to its place).
    const syncs = new Map<string, number>();
    let renamedIntoPlace = -1;
    const location = storage.locationOf(id);
    recorder.events.forEach((event, index) => {
      const [verb, from, , to] = event.split(' ');
      if (verb === 'sync') syncs.set(from!, (syncs.get(from!) ?? 0) + 1);
      if (verb !== 'rename') return;
      if (to === location) renamedIntoPlace = index;
      for (const [synced, count] of [...syncs]) {
        if (synced !== from && !synced.startsWith(`${from}/`)) continue;
        syncs.delete(synced);
        syncs.set(`${to}${synced.slice(from!.length)}`, count);
      }
    });
    expect(renamedIntoPlace).toBeGreaterThan(0);
    const inRepository = [...syncs].filter(([synced]) => synced === location || synced.startsWith(`${location}/`));
    const expected = (await entriesUnder(storage.repositoryPath(id))).map((entry) => (entry === '.' ? location : `${location}/${entry}`));
    expect(inRepository.map(([synced]) => synced).sort()).toEqual(expected.sort());
    expect(inRepository.filter(([, count]) => count !== 1)).toEqual([]);
    expect(recorder.events.slice(renamedIntoPlace + 1)).toEqual([`sync ${path.dirname(location)}`]);
  });

  it('removes staging a killed create or delete abandoned once, at first use, and not again on every create', async () => {
    const staging = path.join(dataDir, '.staging');
    const abandon = async (name: string, ageMs: number) => {
      await mkdir(path.join(staging, name, 'objects'), { recursive: true });
      const when = new Date(Date.now() - ageMs);
      await utimes(path.join(staging, name), when, when);
    };
    const create = (name: string) =>
      storage.createDataset({ owner: 'staging', name }, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author });
    await abandon('create-crashed', 11 * 60_000);
    await abandon('delete-1-crashed', 11 * 60_000);
    await abandon('create-recent', 60_000);
    await create('first');
    // Younger than the bound: possibly a live create in another process, so it stays.
    expect((await readdir(staging)).sort()).toEqual(['create-recent']);
    await abandon('create-later', 11 * 60_000);
    await create('second');
    expect((await readdir(staging)).sort()).toEqual(['create-later', 'create-recent']);
    // The next start (a new instance on the same data directory) removes it.
    storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir }));
    await storage.deleteDataset({ owner: 'staging', name: 'first' });
    expect((await readdir(staging)).sort()).toEqual(['create-recent']);
  });
});
