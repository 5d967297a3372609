import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeChangeJournalContract } from '@metastore/catalog/testing';
import { crashEntry } from '../testing/crash-entry';
import { entryFileContent, FsChangeJournal, SET_ASIDE_DIRECTORY } from './fs-change-journal.adapter';

describeChangeJournalContract('files on local disk', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'metastore-journal-'));
  const directory = path.join(root, 'data', 'catalog-journal');
  return {
    journal: new FsChangeJournal({ directory }),
    reopen: async () => new FsChangeJournal({ directory }),
    teardown: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FsChangeJournal', () => {
  let root: string;
  let directory: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'metastore-journal-'));
    directory = path.join(root, 'catalog-journal');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes one file per entry, named by a 16-digit sequence, holding a checksummed encoding', async () => {
    const journal = new FsChangeJournal({ directory });
    await journal.append(crashEntry(0, 0));
    await journal.append(crashEntry(0, 1));
    const names = (await readdir(directory)).sort();
    expect(names).toEqual([
      expect.stringMatching(/^0000000000000001-[0-9a-f]{8}\.entry$/),
      expect.stringMatching(/^0000000000000002-[0-9a-f]{8}\.entry$/),
    ]);
    expect(await readFile(path.join(directory, names[0]!), 'utf8')).toBe(entryFileContent(crashEntry(0, 0)));
    // Entries hold descriptors and authors: only the service's user may read them.
    expect((await stat(path.join(directory, names[0]!))).mode & 0o777).toBe(0o600);
  });

  it('never reads a torn, damaged or foreign file as a change: each comes back with the problem, the sound ones as written', async () => {
    const journal = new FsChangeJournal({ directory });
    await journal.append(crashEntry(0, 0));
    const content = entryFileContent(crashEntry(0, 1));
    await writeFile(path.join(directory, '0000000000000002-aaaaaaaa.entry'), content.slice(0, content.length - 10));
    await writeFile(path.join(directory, '0000000000000003-bbbbbbbb.entry'), content.replace('"x', '"y'));
    await writeFile(path.join(directory, '0000000000000004-cccccccc.entry'), '');
    await writeFile(path.join(directory, '0000000000000005-dddddddd.entry'), content.slice(0, 20));
    await writeFile(path.join(directory, '0000000000000006-eeeeeeee.entry'), '{"version":1}');
    // The next process continues after every file it finds, sound or not.
    await new FsChangeJournal({ directory }).append(crashEntry(0, 2));
    const entries = await new FsChangeJournal({ directory }).read(100);
    expect(entries.map((entry) => entry.change?.change.message ?? entry.problem)).toEqual([
      '0/0',
      'a damaged entry (its checksum does not match)',
      'a damaged entry (its checksum does not match)',
      'a truncated entry (no complete header)',
      'a truncated entry (no complete header)',
      'not a journal entry (unknown header)',
      '0/2',
    ]);
    expect(entries.at(-1)!.sequence).toBe(7);
  });

  it('ignores temporary files of an append cut short, and removes them at open once they are stale', async () => {
    const journal = new FsChangeJournal({ directory });
    await journal.append(crashEntry(0, 0));
    const leftover = path.join(directory, '.append-0000000000000002-aaaaaaaa.entry');
    await writeFile(leftover, entryFileContent(crashEntry(0, 1)).slice(0, 100));
    expect((await new FsChangeJournal({ directory }).read(10)).map((entry) => entry.change?.change.message)).toEqual(['0/0']);
    expect(await readdir(directory)).toContain(path.basename(leftover));
    const old = new Date(Date.now() - 11 * 60_000);
    await utimes(leftover, old, old);
    expect(await new FsChangeJournal({ directory }).pending()).toBe(1);
    expect(await readdir(directory)).not.toContain(path.basename(leftover));
  });

  it('sets an entry aside into set-aside/ with its reason, out of the way of the drain', async () => {
    const journal = new FsChangeJournal({ directory });
    await journal.append(crashEntry(0, 0));
    const [entry] = await journal.read(1);
    await journal.setAside(entry!, 'refused 3 times: value too long');
    expect(await journal.pending()).toBe(0);
    expect(await journal.read(10)).toEqual([]);
    expect((await readdir(path.join(directory, SET_ASIDE_DIRECTORY))).sort()).toEqual([entry!.key, `${entry!.key}.reason`]);
    expect(await readFile(path.join(directory, SET_ASIDE_DIRECTORY, `${entry!.key}.reason`), 'utf8')).toBe(
      'refused 3 times: value too long\n',
    );
  });

  it('counts entries another process left once it has looked (pending opens the directory)', async () => {
    await new FsChangeJournal({ directory }).append(crashEntry(0, 0));
    expect(await new FsChangeJournal({ directory }).pending()).toBe(1);
  });

  it('knows the count without waiting (pendingNow) only once open: undefined before, then what pending answers', async () => {
    await new FsChangeJournal({ directory }).append(crashEntry(0, 0));
    const journal = new FsChangeJournal({ directory });
    // Entries another process left are unknown until the directory is listed.
    expect(journal.pendingNow()).toBeUndefined();
    expect(await journal.pending()).toBe(1);
    expect(journal.pendingNow()).toBe(1);
    await journal.append(crashEntry(0, 1));
    await journal.append(crashEntry(0, 2));
    expect(journal.pendingNow()).toBe(3);
    // Its own appends, listed again by read, count once.
    const entries = await journal.read(10);
    expect(entries).toHaveLength(3);
    expect(journal.pendingNow()).toBe(3);
    await journal.remove(entries[0]!);
    await journal.setAside(entries[1]!, 'refused');
    expect(journal.pendingNow()).toBe(1);
    expect(await journal.pending()).toBe(1);
    await journal.remove(entries[2]!);
    expect(journal.pendingNow()).toBe(0);
    // An append opens the journal too.
    const appender = new FsChangeJournal({ directory });
    await appender.append(crashEntry(0, 3));
    expect(appender.pendingNow()).toBe(1);
  });

  it('fails with STORAGE_UNAVAILABLE when the directory cannot be made (a file is in the way), naming what it tried', async () => {
    await writeFile(path.join(root, 'blocked'), 'not a directory');
    const journal = new FsChangeJournal({ directory: path.join(root, 'blocked', 'catalog-journal') });
    await expect(journal.append(crashEntry(0, 0))).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringContaining('could not open the catalog journal'),
    });
    await expect(journal.pending()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(journal.pendingNow()).toBeUndefined();
  });
});
