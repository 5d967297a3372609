import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyedLock } from '@metastore/storage';
import { GitRepository } from './git-backend';

/** A user or organization account (or a GitHub App's bot user, which is never stored). */
export interface AccountRecord {
  readonly login: string;
  readonly id: number;
  readonly type: 'User' | 'Organization' | 'Bot';
  readonly createdAt: string;
}

/** The settings a repository is created with (GitHub's defaults when omitted). */
export interface RepositorySettings {
  readonly description: string | null;
  readonly homepage: string | null;
  readonly private: boolean;
  readonly hasIssues: boolean;
  readonly hasProjects: boolean;
  readonly hasWiki: boolean;
  readonly hasDownloads: boolean;
  readonly hasDiscussions: boolean;
  readonly isTemplate: boolean;
  readonly allowSquashMerge: boolean;
  readonly allowMergeCommit: boolean;
  readonly allowRebaseMerge: boolean;
  readonly allowAutoMerge: boolean;
  readonly deleteBranchOnMerge: boolean;
}

/** What the server knows about a repository besides its git data. */
export interface RepositoryRecord {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
  readonly settings: RepositorySettings;
  readonly topics: readonly string[];
  readonly defaultBranch: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly pushedAt: string;
}

/** A repository's record together with its bare git repository. */
export interface StoredRepository {
  readonly record: RepositoryRecord;
  readonly account: AccountRecord;
  readonly git: GitRepository;
}

/** Thrown when a repository name is already taken on an account. */
export class RepositoryExistsError extends Error {}

const key = (login: string, name?: string) => (name === undefined ? login.toLowerCase() : `${login.toLowerCase()}/${name.toLowerCase()}`);

/**
 * Accounts and repositories of the test server, persisted under `dataDir` so a standalone server
 * can be restarted on the same directory: `accounts/<login>.json`, and per repository a bare git
 * repository `repositories/<owner>/<name>.git` beside its record `repositories/<owner>/<name>.json`
 * (names lower-cased on disk: GitHub's owner and repository names are case-insensitive).
 */
export class RepositoryStore {
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly repositories = new Map<string, StoredRepository>();
  private readonly locks = new KeyedLock();
  private nextAccountId = 1001;
  private nextRepositoryId = 700_001;

  private constructor(private readonly dataDir: string) {}

  /** Opens (and loads whatever a previous run left in) `dataDir`. */
  static async open(dataDir: string): Promise<RepositoryStore> {
    const store = new RepositoryStore(dataDir);
    await store.load();
    return store;
  }

  /** The bare repository directory for `owner/name` (whether or not it exists). */
  repositoryPath(owner: string, name: string): string {
    return path.join(this.dataDir, 'repositories', owner.toLowerCase(), `${name.toLowerCase()}.git`);
  }

  /** An account by login (case-insensitive). */
  findAccount(login: string): AccountRecord | undefined {
    return this.accounts.get(key(login));
  }

  /** The account with `login`, created with `type` when it does not exist yet. */
  async ensureAccount(login: string, type: AccountRecord['type']): Promise<AccountRecord> {
    return this.locks.run(`account:${key(login)}`, async () => {
      const existing = this.findAccount(login);
      if (existing) return existing;
      const account: AccountRecord = { login, id: this.nextAccountId++, type, createdAt: new Date().toISOString() };
      await this.persist(path.join(this.dataDir, 'accounts', `${key(login)}.json`), account);
      this.accounts.set(key(login), account);
      return account;
    });
  }

  /** A repository by owner and name (case-insensitive). */
  findRepository(owner: string, name: string): StoredRepository | undefined {
    return this.repositories.get(key(owner, name));
  }

  /** The repositories of an account, in creation order. */
  listRepositories(owner: string): StoredRepository[] {
    return [...this.repositories.values()].filter((repository) => key(repository.record.owner) === key(owner));
  }

  /**
   * Creates a repository (and its bare git repository); `initialise` runs before the repository
   * becomes visible, so nobody sees it half made. Throws `RepositoryExistsError` on a taken name.
   */
  async createRepository(
    account: AccountRecord,
    name: string,
    settings: RepositorySettings,
    initialise: (git: GitRepository) => Promise<void>,
  ): Promise<StoredRepository> {
    return this.locks.run(`repository:${key(account.login, name)}`, async () => {
      if (this.findRepository(account.login, name)) throw new RepositoryExistsError(name);
      const gitdir = this.repositoryPath(account.login, name);
      await rm(gitdir, { recursive: true, force: true });
      const git = await GitRepository.initialise(gitdir);
      await initialise(git);
      const now = new Date().toISOString();
      const record: RepositoryRecord = {
        id: this.nextRepositoryId++,
        owner: account.login,
        name,
        settings,
        topics: [],
        defaultBranch: 'main',
        createdAt: now,
        updatedAt: now,
        pushedAt: now,
      };
      await this.persist(this.recordPath(record), record);
      const stored = { record, account, git };
      this.repositories.set(key(account.login, name), stored);
      return stored;
    });
  }

  /** Changes a repository's record (topics, timestamps); a repository deleted meanwhile stays deleted. */
  async updateRepository(
    stored: StoredRepository,
    changes: Partial<Pick<RepositoryRecord, 'topics' | 'updatedAt' | 'pushedAt'>>,
  ): Promise<StoredRepository> {
    const { owner, name } = stored.record;
    return this.locks.run(`repository:${key(owner, name)}`, async () => {
      const current = this.findRepository(owner, name);
      if (!current || current.record.id !== stored.record.id) return stored;
      const updated = { ...current, record: { ...current.record, ...changes } };
      this.repositories.set(key(owner, name), updated);
      await this.persist(this.recordPath(updated.record), updated.record);
      return updated;
    });
  }

  /** Deletes a repository and its git data. */
  async deleteRepository(stored: StoredRepository): Promise<void> {
    const { owner, name } = stored.record;
    await this.locks.run(`repository:${key(owner, name)}`, async () => {
      this.repositories.delete(key(owner, name));
      await rm(this.recordPath(stored.record), { force: true });
      await rm(this.repositoryPath(owner, name), { recursive: true, force: true });
    });
  }

  private recordPath(record: RepositoryRecord): string {
    return path.join(this.dataDir, 'repositories', record.owner.toLowerCase(), `${record.name.toLowerCase()}.json`);
  }

  private async persist(file: string, value: unknown): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
    await rename(temporary, file);
  }

  private async load(): Promise<void> {
    for (const file of await listJson(path.join(this.dataDir, 'accounts'))) {
      const account = JSON.parse(await readFile(file, 'utf8')) as AccountRecord;
      this.accounts.set(key(account.login), account);
      this.nextAccountId = Math.max(this.nextAccountId, account.id + 1);
    }
    const repositoriesDir = path.join(this.dataDir, 'repositories');
    for (const ownerDir of await listDirectories(repositoriesDir)) {
      for (const file of await listJson(path.join(repositoriesDir, ownerDir))) {
        const record = JSON.parse(await readFile(file, 'utf8')) as RepositoryRecord;
        const account = this.findAccount(record.owner);
        if (!account) continue;
        const git = new GitRepository(this.repositoryPath(record.owner, record.name));
        this.repositories.set(key(record.owner, record.name), { record, account, git });
        this.nextRepositoryId = Math.max(this.nextRepositoryId, record.id + 1);
      }
    }
  }
}

async function listJson(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).filter((name) => name.endsWith('.json')).map((name) => path.join(directory, name));
  } catch {
    return [];
  }
}

async function listDirectories(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}
