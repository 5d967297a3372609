import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import AsyncLock from 'async-lock';
import { GitRepository } from './git-repository';

/** A record with the numeric id hosts give their objects. */
export interface Identified {
  readonly id: number;
}

/** A repository's record together with its bare git repository. */
export interface StoredGitRepository<R extends Identified> {
  readonly record: R;
  readonly git: GitRepository;
}

/** Thrown when a key (an account login, a repository or group path) is already taken. */
export class RepositoryExistsError extends Error {}

/** How a store names its records: a slash-separated path, case-insensitive like GitHub's and GitLab's. */
export interface StoreOptions<R> {
  /** The record's key, e.g. `owner/name` or `group/subgroup/project`. */
  readonly keyOf: (record: R) => string;
  /** The id the first record gets (later ones count up; a reopened store continues after the highest). */
  readonly firstId: number;
}

const normalise = (key: string) => key.toLowerCase();

async function persist(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, file);
}

/** Every `.json` file below `directory` (not inside `.git` directories), depth first. */
async function jsonFilesBelow(directory: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory() && !entry.name.endsWith('.git')) files.push(...(await jsonFilesBelow(full)));
    else if (entry.isFile() && entry.name.endsWith('.json')) files.push(full);
  }
  return files;
}

/**
 * JSON records (accounts, groups) under one directory, one file per record named by its key
 * (lower-cased, each path segment percent-encoded), so a standalone server can restart on the same
 * directory. Writes are atomic (temporary file and rename).
 */
export class JsonRecordStore<R extends Identified> {
  private readonly records = new Map<string, R>();
  private readonly locks = new AsyncLock({ maxPending: Infinity });
  private nextId: number;

  private constructor(
    private readonly directory: string,
    private readonly options: StoreOptions<R>,
  ) {
    this.nextId = options.firstId;
  }

  /** Opens (and loads whatever a previous run left in) `directory`. */
  static async open<R extends Identified>(directory: string, options: StoreOptions<R>): Promise<JsonRecordStore<R>> {
    const store = new JsonRecordStore(directory, options);
    for (const file of await jsonFilesBelow(directory)) {
      const record = JSON.parse(await readFile(file, 'utf8')) as R;
      store.records.set(normalise(options.keyOf(record)), record);
      store.nextId = Math.max(store.nextId, record.id + 1);
    }
    return store;
  }

  /** A record by key (case-insensitive). */
  find(key: string): R | undefined {
    return this.records.get(normalise(key));
  }

  /** A record by id. */
  findById(id: number): R | undefined {
    return [...this.records.values()].find((record) => record.id === id);
  }

  /** Every record, in creation order. */
  list(): R[] {
    return [...this.records.values()];
  }

  /** The record under `key`, made by `build(id)` when there is none yet. */
  async ensure(key: string, build: (id: number) => R): Promise<R> {
    return this.locks.acquire(normalise(key), async () => {
      const existing = this.find(key);
      if (existing) return existing;
      const record = build(this.nextId++);
      await persist(this.fileOf(key), record);
      this.records.set(normalise(key), record);
      return record;
    });
  }

  /** Creates the record under `key`; throws `RepositoryExistsError` when the key is taken. */
  async create(key: string, build: (id: number) => R): Promise<R> {
    return this.locks.acquire(normalise(key), async () => {
      if (this.find(key)) throw new RepositoryExistsError(key);
      const record = build(this.nextId++);
      await persist(this.fileOf(key), record);
      this.records.set(normalise(key), record);
      return record;
    });
  }

  /** Deletes the record under `key`, if any. */
  async delete(key: string): Promise<void> {
    await this.locks.acquire(normalise(key), async () => {
      this.records.delete(normalise(key));
      await rm(this.fileOf(key), { force: true });
    });
  }

  private fileOf(key: string): string {
    const segments = normalise(key).split('/').map(encodeURIComponent);
    return `${path.join(this.directory, ...segments)}.json`;
  }
}

/**
 * Repositories of a test server: per key `a/b/c` a bare git repository `<directory>/a/b/c.git`
 * beside its record `<directory>/a/b/c.json` (keys lower-cased on disk), reloaded when a server
 * restarts on the same directory. A repository becomes visible only once its initialisation ran.
 */
export class GitRepositoryStore<R extends Identified> {
  private readonly repositories = new Map<string, StoredGitRepository<R>>();
  private readonly locks = new AsyncLock({ maxPending: Infinity });
  private nextId: number;

  private constructor(
    private readonly directory: string,
    private readonly options: StoreOptions<R>,
  ) {
    this.nextId = options.firstId;
  }

  /** Opens (and loads whatever a previous run left in) `directory`. */
  static async open<R extends Identified>(directory: string, options: StoreOptions<R>): Promise<GitRepositoryStore<R>> {
    const store = new GitRepositoryStore(directory, options);
    for (const file of await jsonFilesBelow(directory)) {
      const record = JSON.parse(await readFile(file, 'utf8')) as R;
      const key = options.keyOf(record);
      store.repositories.set(normalise(key), { record, git: new GitRepository(store.repositoryPath(key)) });
      store.nextId = Math.max(store.nextId, record.id + 1);
    }
    return store;
  }

  /** The bare repository directory for `key` (whether or not it exists). */
  repositoryPath(key: string): string {
    return `${path.join(this.directory, ...normalise(key).split('/'))}.git`;
  }

  /** A repository by key (case-insensitive). */
  find(key: string): StoredGitRepository<R> | undefined {
    return this.repositories.get(normalise(key));
  }

  /** A repository by its record's id. */
  findById(id: number): StoredGitRepository<R> | undefined {
    return [...this.repositories.values()].find((stored) => stored.record.id === id);
  }

  /** Every repository, in creation order. */
  list(): StoredGitRepository<R>[] {
    return [...this.repositories.values()];
  }

  /**
   * Creates a repository (its record from `build(id)` and a bare git repository whose HEAD names
   * `defaultBranch`); `initialise` runs before the repository becomes visible, so nobody sees it half made.
   * Throws `RepositoryExistsError` on a taken key.
   */
  async create(
    key: string,
    build: (id: number) => R,
    initialise: (git: GitRepository) => Promise<void> = async () => undefined,
    defaultBranch = 'main',
  ): Promise<StoredGitRepository<R>> {
    return this.locks.acquire(normalise(key), async () => {
      if (this.find(key)) throw new RepositoryExistsError(key);
      const gitdir = this.repositoryPath(key);
      await rm(gitdir, { recursive: true, force: true });
      const git = await GitRepository.initialise(gitdir, defaultBranch);
      await initialise(git);
      const record = build(this.nextId++);
      await persist(this.recordPath(key), record);
      const stored = { record, git };
      this.repositories.set(normalise(key), stored);
      return stored;
    });
  }

  /** Changes a repository's record; a repository deleted (or re-made) meanwhile is left alone. */
  async update(stored: StoredGitRepository<R>, change: (record: R) => R): Promise<StoredGitRepository<R>> {
    const key = this.options.keyOf(stored.record);
    return this.locks.acquire(normalise(key), async () => {
      const current = this.find(key);
      if (!current || current.record.id !== stored.record.id) return stored;
      const updated = { ...current, record: change(current.record) };
      if (normalise(this.options.keyOf(updated.record)) !== normalise(key)) throw new Error('update cannot change the key; use move');
      this.repositories.set(normalise(key), updated);
      await persist(this.recordPath(key), updated.record);
      return updated;
    });
  }

  /** Gives a repository a new key (a rename or transfer), moving its git data; throws `RepositoryExistsError` on a taken key. */
  async move(stored: StoredGitRepository<R>, change: (record: R) => R): Promise<StoredGitRepository<R>> {
    const from = this.options.keyOf(stored.record);
    const record = change(stored.record);
    const to = this.options.keyOf(record);
    return this.locks.acquire([normalise(from), normalise(to)], async () => {
      if (normalise(from) !== normalise(to) && this.find(to)) throw new RepositoryExistsError(to);
      await mkdir(path.dirname(this.repositoryPath(to)), { recursive: true });
      if (normalise(from) !== normalise(to)) await rename(this.repositoryPath(from), this.repositoryPath(to));
      await rm(this.recordPath(from), { force: true });
      await persist(this.recordPath(to), record);
      const moved = { record, git: new GitRepository(this.repositoryPath(to)) };
      this.repositories.delete(normalise(from));
      this.repositories.set(normalise(to), moved);
      return moved;
    });
  }

  /** Deletes a repository and its git data. */
  async delete(stored: StoredGitRepository<R>): Promise<void> {
    const key = this.options.keyOf(stored.record);
    await this.locks.acquire(normalise(key), async () => {
      this.repositories.delete(normalise(key));
      await rm(this.recordPath(key), { force: true });
      await rm(this.repositoryPath(key), { recursive: true, force: true });
    });
  }

  private recordPath(key: string): string {
    return `${path.join(this.directory, ...normalise(key).split('/'))}.json`;
  }
}
