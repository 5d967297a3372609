import path from 'node:path';
import { GitRepositoryStore, type GitRepository, JsonRecordStore, RepositoryExistsError } from '@metastore/git-host-test-server';

export { RepositoryExistsError };

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

/**
 * Accounts and repositories of the test server on the shared brick's stores, persisted under
 * `dataDir` so a standalone server can be restarted on the same directory: `accounts/<login>.json`,
 * and per repository a bare git repository `repositories/<owner>/<name>.git` beside its record
 * `repositories/<owner>/<name>.json` (GitHub's owner and repository names are case-insensitive).
 */
export class RepositoryStore {
  private constructor(
    private readonly accounts: JsonRecordStore<AccountRecord>,
    private readonly repositories: GitRepositoryStore<RepositoryRecord>,
  ) {}

  /** Opens (and loads whatever a previous run left in) `dataDir`. */
  static async open(dataDir: string): Promise<RepositoryStore> {
    const accounts = await JsonRecordStore.open<AccountRecord>(path.join(dataDir, 'accounts'), {
      keyOf: (account) => account.login,
      firstId: 1001,
    });
    const repositories = await GitRepositoryStore.open<RepositoryRecord>(path.join(dataDir, 'repositories'), {
      keyOf: (record) => `${record.owner}/${record.name}`,
      firstId: 700_001,
    });
    return new RepositoryStore(accounts, repositories);
  }

  /** The bare repository directory for `owner/name` (whether or not it exists). */
  repositoryPath(owner: string, name: string): string {
    return this.repositories.repositoryPath(`${owner}/${name}`);
  }

  /** An account by login (case-insensitive). */
  findAccount(login: string): AccountRecord | undefined {
    return this.accounts.find(login);
  }

  /** The account with `login`, created with `type` when it does not exist yet. */
  async ensureAccount(login: string, type: AccountRecord['type']): Promise<AccountRecord> {
    return this.accounts.ensure(login, (id) => ({ login, id, type, createdAt: new Date().toISOString() }));
  }

  /** A repository by owner and name (case-insensitive). */
  findRepository(owner: string, name: string): StoredRepository | undefined {
    return this.withAccount(this.repositories.find(`${owner}/${name}`));
  }

  /** The repositories of an account, in creation order. */
  listRepositories(owner: string): StoredRepository[] {
    return this.repositories
      .list()
      .filter((stored) => stored.record.owner.toLowerCase() === owner.toLowerCase())
      .flatMap((stored) => this.withAccount(stored) ?? []);
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
    const stored = await this.repositories.create(
      `${account.login}/${name}`,
      (id) => {
        const now = new Date().toISOString();
        return {
          id,
          owner: account.login,
          name,
          settings,
          topics: [],
          defaultBranch: 'main',
          createdAt: now,
          updatedAt: now,
          pushedAt: now,
        };
      },
      initialise,
    );
    return { ...stored, account };
  }

  /** Changes a repository's record (topics, timestamps); a repository deleted meanwhile stays deleted. */
  async updateRepository(
    stored: StoredRepository,
    changes: Partial<Pick<RepositoryRecord, 'topics' | 'updatedAt' | 'pushedAt'>>,
  ): Promise<StoredRepository> {
    const updated = await this.repositories.update(stored, (record) => ({ ...record, ...changes }));
    return { ...updated, account: stored.account };
  }

  /** Deletes a repository and its git data. */
  async deleteRepository(stored: StoredRepository): Promise<void> {
    await this.repositories.delete(stored);
  }

  private withAccount(stored: { record: RepositoryRecord; git: GitRepository } | undefined): StoredRepository | undefined {
    const account = stored && this.findAccount(stored.record.owner);
    return stored && account ? { ...stored, account } : undefined;
  }
}
