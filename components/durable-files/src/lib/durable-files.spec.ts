import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDirectoryDurably, nonce, syncDirectory, syncTree, writeFileDurably, writeNewFileSynced } from './durable-files';

describe('durable files', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'metastore-durable-files-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  describe('writeNewFileSynced', () => {
    it('creates the file with its content and the mode asked for (0o666 less the umask by default)', async () => {
      const umask = process.umask();
      await writeNewFileSynced(path.join(root, 'private'), 'secret', 0o600);
      await writeNewFileSynced(path.join(root, 'plain'), new TextEncoder().encode('bytes'));
      expect(await readFile(path.join(root, 'private'), 'utf8')).toBe('secret');
      expect((await stat(path.join(root, 'private'))).mode & 0o777).toBe(0o600 & ~umask);
      expect(await readFile(path.join(root, 'plain'), 'utf8')).toBe('bytes');
      expect((await stat(path.join(root, 'plain'))).mode & 0o777).toBe(0o666 & ~umask);
    });

    it('refuses a file that exists (EEXIST) and leaves it as it was', async () => {
      const file = path.join(root, 'taken');
      await writeFile(file, 'first');
      await expect(writeNewFileSynced(file, 'second')).rejects.toMatchObject({ code: 'EEXIST' });
      expect(await readFile(file, 'utf8')).toBe('first');
    });
  });

  describe('writeFileDurably', () => {
    it('replaces the target and leaves no temporary file', async () => {
      const target = path.join(root, 'ref');
      await writeFile(target, 'old\n');
      await writeFileDurably(target, 'new\n', path.join(root, `ref.${nonce()}`), 0o600);
      expect(await readFile(target, 'utf8')).toBe('new\n');
      expect((await stat(target)).mode & 0o777).toBe(0o600 & ~process.umask());
      expect(await readdir(root)).toEqual(['ref']);
    });

    it('removes the temporary file and rethrows when the rename fails, the target untouched', async () => {
      const target = path.join(root, 'occupied');
      await mkdir(path.join(target, 'child'), { recursive: true });
      const temporary = path.join(root, 'occupied.tmp');
      await expect(writeFileDurably(target, 'data', temporary)).rejects.toMatchObject({
        code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/),
      });
      expect(await readdir(root)).toEqual(['occupied']);
      expect(await readdir(target)).toEqual(['child']);
    });
  });

  describe('makeDirectoryDurably', () => {
    it('creates a directory with its missing parents, and accepts one that exists', async () => {
      const directory = path.join(root, 'a', 'b', 'c');
      await makeDirectoryDurably(directory);
      expect((await stat(directory)).isDirectory()).toBe(true);
      await expect(makeDirectoryDurably(directory)).resolves.toBeUndefined();
    });

    it('fails where a file stands in the way', async () => {
      await writeFile(path.join(root, 'file'), '');
      await expect(makeDirectoryDurably(path.join(root, 'file', 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    });
  });

  describe('syncDirectory and syncTree', () => {
    it('sync a directory and a tree of files and directories', async () => {
      await mkdir(path.join(root, 'tree', 'objects', 'ab'), { recursive: true });
      await writeFile(path.join(root, 'tree', 'objects', 'ab', 'cdef'), 'object');
      await writeFile(path.join(root, 'tree', 'HEAD'), 'ref: refs/heads/main\n');
      await expect(syncDirectory(root)).resolves.toBeUndefined();
      await expect(syncTree(path.join(root, 'tree'))).resolves.toBeUndefined();
    });

    it('report a directory that does not exist', async () => {
      await expect(syncDirectory(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(syncTree(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('nonce gives 16 hex digits, different each time', () => {
    const values = new Set(Array.from({ length: 100 }, () => nonce()));
    expect(values.size).toBe(100);
    for (const value of values) expect(value).toMatch(/^[0-9a-f]{16}$/);
  });
});
