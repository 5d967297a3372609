import { mkdtemp, mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listRefNames, LooseRefReader } from './ref-reader';

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

  it('leaves symbolic refs to the caller', async () => {
    await writeFile(path.join(gitdir, 'refs', 'heads', 'alias'), 'ref: refs/heads/main\n');
    expect(await new LooseRefReader(10).read(gitdir, 'refs/heads/alias')).toBeUndefined();
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
