import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  makeDirectoryDurably,
  nonce,
  syncDirectory,
  syncTree,
  writeFileAtomically,
  writeFileDurably,
  writeNewFileSynced,
} from './durable-files';
import { recordSyncs, type SyncRecorder } from '../testing';

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

  describe('syncs (each one shown: removing any fails here)', () => {
    let recorder: SyncRecorder;
    beforeEach(async () => {
      recorder = await recordSyncs(root);
    });
    afterEach(() => recorder.stop());

    it('writeNewFileSynced syncs the file before it returns', async () => {
      await writeNewFileSynced(path.join(root, 'new'), 'data');
      expect(recorder.events).toEqual(['sync new']);
    });

    it('writeFileAtomically syncs the temporary file before renaming it, and leaves the directory to the caller', async () => {
      await writeFileAtomically(path.join(root, 'target'), 'data', path.join(root, 'target.tmp'));
      expect(recorder.events).toEqual(['sync target.tmp', 'rename target.tmp -> target']);
    });

    it('writeFileDurably syncs the temporary file before the rename and the directory after it', async () => {
      await mkdir(path.join(root, 'refs'));
      await writeFileDurably(path.join(root, 'refs', 'main'), 'sha\n', path.join(root, 'refs', 'main.tmp'));
      expect(recorder.events).toEqual(['sync refs/main.tmp', 'rename refs/main.tmp -> refs/main', 'sync refs']);
    });

    it('makeDirectoryDurably syncs every parent that gained an entry, and nothing when all exist', async () => {
      await mkdir(path.join(root, 'a'));
      await makeDirectoryDurably(path.join(root, 'a', 'b', 'c'));
      expect([...recorder.events].sort()).toEqual(['sync a', 'sync a/b']);
      recorder.events.length = 0;
      await makeDirectoryDurably(path.join(root, 'a', 'b', 'c'));
      expect(recorder.events).toEqual([]);
    });

    it('syncDirectory syncs the directory', async () => {
      await syncDirectory(root);
      expect(recorder.events).toEqual(['sync .']);
    });

    it('syncTree syncs every file and directory of the tree, each directory after its entries', async () => {
      await mkdir(path.join(root, 'tree', 'objects', 'ab'), { recursive: true });
      await writeFile(path.join(root, 'tree', 'objects', 'ab', 'cdef'), 'object');
      await writeFile(path.join(root, 'tree', 'HEAD'), 'ref: refs/heads/main\n');
      await syncTree(path.join(root, 'tree'));
      const synced = recorder.events.map((event) => event.replace(/^sync /, ''));
      expect([...synced].sort()).toEqual(['tree', 'tree/HEAD', 'tree/objects', 'tree/objects/ab', 'tree/objects/ab/cdef']);
      const after = (directory: string, entry: string) => synced.indexOf(directory) > synced.indexOf(entry);
      expect(after('tree/objects/ab', 'tree/objects/ab/cdef')).toBe(true);
      expect(after('tree/objects', 'tree/objects/ab')).toBe(true);
      expect(after('tree', 'tree/objects') && after('tree', 'tree/HEAD')).toBe(true);
    });

    it('syncTree leaves alone the files the caller says it synced, never a directory', async () => {
      await mkdir(path.join(root, 'tree', 'objects'), { recursive: true });
      await writeFile(path.join(root, 'tree', 'objects', 'ab'), 'object');
      await writeFile(path.join(root, 'tree', 'HEAD'), 'ref: refs/heads/main\n');
      await syncTree(path.join(root, 'tree'), { alreadySynced: (file) => path.basename(path.dirname(file)) === 'objects' });
      expect(recorder.events.sort()).toEqual(['sync tree', 'sync tree/HEAD', 'sync tree/objects']);
    });
  });

  it('nonce gives 16 hex digits, different each time', () => {
    const values = new Set(Array.from({ length: 100 }, () => nonce()));
    expect(values.size).toBe(100);
    for (const value of values) expect(value).toMatch(/^[0-9a-f]{16}$/);
  });
});
