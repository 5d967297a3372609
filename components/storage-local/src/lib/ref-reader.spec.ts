import { mkdtemp, mkdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listRefNames, LooseRefReader, NO_LOOSE_REF, PackedRefsReader } from './ref-reader';

describe('LooseRefReader', () => {
  let gitdir: string;
  beforeEach(async () => {
    gitdir = await mkdtemp(path.join(os.tmpdir(), 'metastore-refs-'));
    await mkdir(path.join(gitdir, 'refs', 'heads'), { recursive: true });
  });
  afterEach(() => rm(gitdir, { recursive: true, force: true }));

  async function replaceRef(value: string, ageSeconds: number): Promise<void> {
    const file = path.join(gitdir, 'refs', 'heads', 'main');
    await writeFile(`${file}.lock`, `${value}\n`);
    const when = new Date(Date.now() - ageSeconds * 1000);
    await utimes(`${file}.lock`, when, when);
    await rename(`${file}.lock`, file);
  }

  it('sees every replacement of a ref, recent or old, and undefined for a missing one', async () => {
    const reader = new LooseRefReader(10);
    expect(await reader.read(gitdir, 'refs/heads/main')).toBeUndefined();
    await replaceRef('a'.repeat(40), 60);
    expect(await reader.read(gitdir, 'refs/heads/main')).toBe('a'.repeat(40));
    expect(await reader.read(gitdir, 'refs/heads/main')).toBe('a'.repeat(40));
    // Same size, and (after the rename) possibly a reused inode: a recent file is always re-read.
    await replaceRef('b'.repeat(40), 0);
    expect(await reader.read(gitdir, 'refs/heads/main')).toBe('b'.repeat(40));
    await replaceRef('c'.repeat(40), 30);
    expect(await reader.read(gitdir, 'refs/heads/main')).toBe('c'.repeat(40));
    await rm(path.join(gitdir, 'refs', 'heads', 'main'));
    expect(await reader.read(gitdir, 'refs/heads/main')).toBeUndefined();
  });

  describe('peek (the value known without reading the file)', () => {
    const main = 'refs/heads/main';
    const file = () => path.join(gitdir, 'refs', 'heads', 'main');
    async function age(seconds: number): Promise<void> {
      const when = new Date(Date.now() - seconds * 1000);
      await utimes(file(), when, when);
    }

    it('is undefined before a read, then the value read while the file keeps its signature', async () => {
      const reader = new LooseRefReader(10);
      await replaceRef('a'.repeat(40), 60);
      expect(reader.peek(gitdir, main)).toBeUndefined();
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      expect(reader.peek(gitdir, main)).toBe('a'.repeat(40));
      expect(reader.peek(gitdir, main)).toBe('a'.repeat(40));
      // Another reader (another process) knows nothing yet.
      expect(new LooseRefReader(10).peek(gitdir, main)).toBeUndefined();
    });

    it('is undefined while the file is within the racy window, until a read of the older file', async () => {
      const reader = new LooseRefReader(10);
      await replaceRef('a'.repeat(40), 0);
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      expect(reader.peek(gitdir, main)).toBeUndefined();
      // Aged past the window, the file has another signature (mtime, ctime): still unknown until read again.
      await age(5);
      expect(reader.peek(gitdir, main)).toBeUndefined();
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      expect(reader.peek(gitdir, main)).toBe('a'.repeat(40));
    });

    it('is undefined once the file changes, even rewritten in place at the same size with the old mtime', async () => {
      const reader = new LooseRefReader(10);
      await replaceRef('a'.repeat(40), 60);
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      const { mtime } = await stat(file());
      // Same inode, same size, mtime set back to what was read: only the ctime tells, and the signature holds it.
      await writeFile(file(), `${'b'.repeat(40)}\n`);
      await utimes(file(), mtime, mtime);
      expect(reader.peek(gitdir, main)).toBeUndefined();
      expect(await reader.read(gitdir, main)).toBe('b'.repeat(40));
      expect(reader.peek(gitdir, main)).toBe('b'.repeat(40));
      // Replaced by rename (another inode, or a reused one) and aged: undefined again.
      await replaceRef('c'.repeat(40), 30);
      expect(reader.peek(gitdir, main)).toBeUndefined();
      expect(await reader.read(gitdir, main)).toBe('c'.repeat(40));
      expect(reader.peek(gitdir, main)).toBe('c'.repeat(40));
    });

    it('is undefined, never an error, for a missing file, a directory, a removed repository or an unread ref', async () => {
      const reader = new LooseRefReader(10);
      await replaceRef('a'.repeat(40), 60);
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      await rm(file());
      expect(reader.peek(gitdir, main)).toBeUndefined();
      // A directory where the ref was (tag `main/x` after `main` was deleted).
      await mkdir(file());
      expect(reader.peek(gitdir, main)).toBeUndefined();
      await rm(file(), { recursive: true });
      await replaceRef('a'.repeat(40), 60);
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      // stat failing otherwise than ENOENT or ENOTDIR (ELOOP: the ref a link to itself) is no error either.
      await rm(file());
      await symlink(file(), file());
      expect(reader.peek(gitdir, main)).toBeUndefined();
      await expect(reader.read(gitdir, main)).rejects.toMatchObject({ code: 'ELOOP' });
      await rm(file());
      await replaceRef('a'.repeat(40), 60);
      expect(await reader.read(gitdir, main)).toBe('a'.repeat(40));
      // A file where a directory of the path was (ENOTDIR), and the whole repository gone.
      await rm(path.join(gitdir, 'refs', 'heads'), { recursive: true });
      await writeFile(path.join(gitdir, 'refs', 'heads'), 'not a directory\n');
      expect(reader.peek(gitdir, main)).toBeUndefined();
      await rm(gitdir, { recursive: true });
      expect(reader.peek(gitdir, main)).toBeUndefined();
      expect(reader.peek(gitdir, 'refs/tags/never-read')).toBeUndefined();
    });

    it('never answers for a symbolic ref, which read leaves to the caller', async () => {
      const reader = new LooseRefReader(10);
      await writeFile(path.join(gitdir, 'refs', 'heads', 'alias'), 'ref: refs/heads/main\n');
      const when = new Date(Date.now() - 60_000);
      await utimes(path.join(gitdir, 'refs', 'heads', 'alias'), when, when);
      expect(await reader.read(gitdir, 'refs/heads/alias')).toBeUndefined();
      expect(reader.peek(gitdir, 'refs/heads/alias')).toBeUndefined();
    });
  });

  it('leaves symbolic refs to the caller, telling them apart from a missing file', async () => {
    await writeFile(path.join(gitdir, 'refs', 'heads', 'alias'), 'ref: refs/heads/main\n');
    expect(await new LooseRefReader(10).read(gitdir, 'refs/heads/alias')).toBeUndefined();
    expect(await new LooseRefReader(10).lookup(gitdir, 'refs/heads/alias')).toBeUndefined();
    expect(await new LooseRefReader(10).lookup(gitdir, 'refs/heads/none')).toBe(NO_LOOSE_REF);
  });
});

describe('listRefNames', () => {
  let gitdir: string;
  beforeEach(async () => {
    gitdir = await mkdtemp(path.join(os.tmpdir(), 'metastore-refs-'));
  });
  afterEach(() => rm(gitdir, { recursive: true, force: true }));

  it('lists loose and packed refs under a prefix, never a lock file or an invalid name', async () => {
    expect(await listRefNames(gitdir, 'refs/tags')).toEqual([]);
    await mkdir(path.join(gitdir, 'refs', 'tags', 'release'), { recursive: true });
    for (const name of ['v1', 'v2.lock', 'release/2024', 'release/x.lock', 'bad..name']) {
      await writeFile(path.join(gitdir, 'refs', 'tags', name), `${'a'.repeat(40)}\n`);
    }
    await writeFile(
      path.join(gitdir, 'packed-refs'),
      `# pack-refs with: peeled fully-peeled sorted\n${'b'.repeat(40)} refs/heads/main\n${'c'.repeat(40)} refs/tags/packed\n^${'d'.repeat(40)}\n${'c'.repeat(40)} refs/tags/v1\n`,
    );
    expect(await listRefNames(gitdir, 'refs/tags')).toEqual(['packed', 'release/2024', 'v1']);
  });
});

describe('PackedRefsReader', () => {
  let gitdir: string;
  beforeEach(async () => {
    gitdir = await mkdtemp(path.join(os.tmpdir(), 'metastore-refs-'));
  });
  afterEach(() => rm(gitdir, { recursive: true, force: true }));

  /** Replaces packed-refs as git does (a lock file renamed into place), with the given age. */
  async function pack(refs: Record<string, string>, ageSeconds: number): Promise<void> {
    const file = path.join(gitdir, 'packed-refs');
    const lines = Object.entries(refs).map(([ref, value]) => `${value} ${ref}\n^${'f'.repeat(40)}\n`);
    await writeFile(`${file}.lock`, `# pack-refs with: peeled fully-peeled sorted\n${lines.join('')}`);
    const when = new Date(Date.now() - ageSeconds * 1000);
    await utimes(`${file}.lock`, when, when);
    await rename(`${file}.lock`, file);
  }

  it('sees every replacement of packed-refs (same size, recent or old) and its removal, sharing the cache with listings', async () => {
    const reader = new PackedRefsReader();
    expect(await reader.read(gitdir)).toEqual(new Map());
    await pack({ 'refs/tags/v1': 'a'.repeat(40), 'refs/tags/v2': 'b'.repeat(40) }, 60);
    expect(await reader.read(gitdir)).toEqual(
      new Map([
        ['refs/tags/v1', 'a'.repeat(40)],
        ['refs/tags/v2', 'b'.repeat(40)],
      ]),
    );
    expect(await listRefNames(gitdir, 'refs/tags', reader)).toEqual(['v1', 'v2']);
    // Same size, possibly a reused inode: a recent file is always re-read.
    await pack({ 'refs/tags/v1': 'c'.repeat(40), 'refs/tags/v3': 'b'.repeat(40) }, 0);
    expect((await reader.read(gitdir)).get('refs/tags/v1')).toBe('c'.repeat(40));
    expect(await listRefNames(gitdir, 'refs/tags', reader)).toEqual(['v1', 'v3']);
    await pack({ 'refs/tags/v1': 'd'.repeat(40), 'refs/tags/v4': 'b'.repeat(40) }, 30);
    expect((await reader.read(gitdir)).get('refs/tags/v1')).toBe('d'.repeat(40));
    expect(await listRefNames(gitdir, 'refs/tags', reader)).toEqual(['v1', 'v4']);
    await rm(path.join(gitdir, 'packed-refs'));
    expect(await reader.read(gitdir)).toEqual(new Map());
    expect(await listRefNames(gitdir, 'refs/tags', reader)).toEqual([]);
  });
});
