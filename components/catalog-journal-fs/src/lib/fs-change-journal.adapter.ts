import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeJournaledChange,
  encodeJournaledChange,
  type ChangeJournal,
  type JournaledChange,
  type JournalEntry,
} from '@metastore/catalog';
import { makeDirectoryDurably, syncDirectory, writeFileDurably, writeNewFileSynced } from '@metastore/durable-files';
import { StorageUnavailableError } from '@metastore/errors';

/** Where the journal keeps its files, and when a temporary file counts as left by a killed process. */
export interface FsChangeJournalOptions {
  /** The journal's directory (`<data dir>/catalog-journal`), created when missing. */
  readonly directory: string;
  /** A temporary file older than this was left by a process killed mid-append and is removed (default 10 minutes). */
  readonly staleTemporaryMs?: number;
  readonly clock?: () => number;
}

/** An entry's file name: the sequence (16 digits, so names sort as sequences do) and a random part (two processes never collide). */
const ENTRY_NAME = /^(\d{16})-([0-9a-f]{8})\.entry$/;
const TEMPORARY_PREFIX = '.append-';
/** Entries hold descriptors and authors: readable by the service's user only. */
const ENTRY_FILE_MODE = 0o600;
/** Where entries that cannot be applied are moved, with a `.reason` file beside each. */
export const SET_ASIDE_DIRECTORY = 'set-aside';
/** The first line of every entry: the format and the checksum of the rest. */
const HEADER = 'metastore-catalog-journal sha256:';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** An entry's file content: a header line holding the checksum of the encoded change that follows it. */
export function entryFileContent(change: JournaledChange): string {
  const body = encodeJournaledChange(change);
  return `${HEADER}${sha256(body)}\n${body}`;
}

/** The change a file holds; throws saying why it cannot be read (torn, damaged or of an unknown format). */
function parseEntryFile(content: string): JournaledChange {
  const newline = content.indexOf('\n');
  if (newline < 0)
    throw new Error(
      HEADER.startsWith(content.slice(0, HEADER.length))
        ? 'a truncated entry (no complete header)'
        : 'not a journal entry (unknown header)',
    );
  const header = content.slice(0, newline);
  if (!header.startsWith(HEADER)) throw new Error('not a journal entry (unknown header)');
  const body = content.slice(newline + 1);
  if (sha256(body) !== header.slice(HEADER.length)) throw new Error('a damaged entry (its checksum does not match)');
  return decodeJournaledChange(body);
}

/**
 * The change journal on local disk: one file per entry in one directory, named by sequence. An append writes a temporary
 * file (exclusively created), fsyncs it, renames it into place and syncs the directory, so after a crash at any instant
 * an entry is either whole or absent; a checksum in each file makes sure a damaged one is never read as a change. A
 * removal is synced before the next entry is applied, so an entry never comes back after later ones changed the catalog.
 *
 * One API process per data directory is assumed (as for the embedded catalog): another process's entries are seen by
 * `read` (and so drained), but `pending` counts them only once read.
 */
export class FsChangeJournal implements ChangeJournal {
  private readonly directory: string;
  private readonly staleTemporaryMs: number;
  private readonly clock: () => number;
  private opened: Promise<void> | undefined;
  /** Whether `opened` has resolved (the entries on disk are listed). */
  private isOpen = false;
  private nextSequence = 1;
  /** Entries appended by this process and not yet removed. */
  private readonly appended = new Set<string>();
  /** Entries the last listing found. */
  private listed = new Set<string>();

  constructor(options: FsChangeJournalOptions) {
    this.directory = options.directory;
    this.staleTemporaryMs = options.staleTemporaryMs ?? 10 * 60_000;
    this.clock = options.clock ?? Date.now;
  }

  async append(change: JournaledChange): Promise<void> {
    await this.open();
    const sequence = this.nextSequence;
    this.nextSequence += 1;
    const name = `${String(sequence).padStart(16, '0')}-${randomBytes(4).toString('hex')}.entry`;
    const temporary = path.join(this.directory, `${TEMPORARY_PREFIX}${name}`);
    await this.guarded('append to the catalog journal', async () => {
      await writeFileDurably(path.join(this.directory, name), entryFileContent(change), temporary, ENTRY_FILE_MODE);
    });
    this.appended.add(name);
  }

  async read(limit: number): Promise<readonly JournalEntry[]> {
    await this.open();
    const names = await this.list();
    const entries: JournalEntry[] = [];
    for (const name of names.slice(0, limit)) {
      const sequence = Number(ENTRY_NAME.exec(name)![1]);
      let content: string;
      try {
        content = await readFile(path.join(this.directory, name), 'utf8');
      } catch (error) {
        // Removed by another process since the listing.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new StorageUnavailableError(`could not read the catalog journal entry ${name}`, { cause: error });
      }
      try {
        entries.push({ sequence, key: name, change: parseEntryFile(content) });
      } catch (error) {
        entries.push({ sequence, key: name, problem: (error as Error).message });
      }
    }
    return entries;
  }

  async remove(entry: JournalEntry): Promise<void> {
    await this.guarded('remove a catalog journal entry', async () => {
      await unlink(path.join(this.directory, entry.key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await syncDirectory(this.directory);
    });
    this.forget(entry.key);
  }

  async setAside(entry: JournalEntry, reason: string): Promise<void> {
    const target = path.join(this.directory, SET_ASIDE_DIRECTORY);
    await this.guarded('set a catalog journal entry aside', async () => {
      await makeDirectoryDurably(target);
      await writeNewFileSynced(path.join(target, `${entry.key}.reason`), `${reason}\n`, ENTRY_FILE_MODE).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        },
      );
      await rename(path.join(this.directory, entry.key), path.join(target, entry.key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await syncDirectory(target);
      await syncDirectory(this.directory);
    });
    this.forget(entry.key);
  }

  async pending(): Promise<number> {
    await this.open();
    return this.pendingNow()!;
  }

  /** What `pending` answers, once the journal is open (undefined before). */
  pendingNow(): number | undefined {
    if (!this.isOpen) return undefined;
    if (this.appended.size === 0) return this.listed.size;
    if (this.listed.size === 0) return this.appended.size;
    return new Set([...this.appended, ...this.listed]).size;
  }

  /** Creates the directory, removes temporary files left by killed processes, and continues the sequence after the last entry. */
  private open(): Promise<void> {
    this.opened ??= this.guarded('open the catalog journal', async () => {
      await makeDirectoryDurably(this.directory);
      for (const name of await readdir(this.directory)) {
        if (!name.startsWith(TEMPORARY_PREFIX)) continue;
        const file = path.join(this.directory, name);
        const info = await stat(file).catch(() => undefined);
        if (info && this.clock() - info.mtimeMs > this.staleTemporaryMs) await rm(file, { force: true });
      }
      await this.list();
      this.isOpen = true;
    }).catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  /** The entries' names in sequence order; notes them as pending and moves the sequence past them. */
  private async list(): Promise<string[]> {
    const names = await this.guarded('list the catalog journal', async () =>
      (await readdir(this.directory)).filter((name) => ENTRY_NAME.test(name)).sort(),
    );
    this.listed = new Set(names);
    const last = names.at(-1);
    if (last) this.nextSequence = Math.max(this.nextSequence, Number(ENTRY_NAME.exec(last)![1]) + 1);
    return names;
  }

  private forget(name: string): void {
    this.appended.delete(name);
    this.listed.delete(name);
  }

  private async guarded<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StorageUnavailableError(`could not ${action} in ${this.directory}: ${(error as Error).message}`, { cause: error });
    }
  }
}
