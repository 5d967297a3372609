import path from 'node:path';
import { type GitRepository, GitRepositoryStore, JsonRecordStore, type StoredGitRepository } from '@metastore/git-host-test-server';

/** A user's personal namespace or a group (GitLab's namespaces share one id space). */
export interface NamespaceRecord {
  readonly id: number;
  readonly kind: 'user' | 'group';
  readonly name: string;
  readonly path: string;
  /** `acme/sub` for a subgroup; a user's namespace is its username. */
  readonly fullPath: string;
  readonly parentId: number | null;
  readonly description: string;
  readonly visibility: Visibility;
  readonly createdAt: string;
  /** For a user namespace: the user's id. */
  readonly userId?: number;
}

/** GitLab's visibility levels. */
export type Visibility = 'private' | 'internal' | 'public';

/** What the server knows about a project besides its git data. */
export interface ProjectRecord {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly namespaceId: number;
  /** The namespace's full path, so the record alone names the repository (`acme/sub` + `/` + `path`). */
  readonly namespacePath: string;
  readonly description: string | null;
  readonly visibility: Visibility;
  readonly topics: readonly string[];
  readonly defaultBranch: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastActivityAt: string;
  /** Set while a delayed deletion is pending (the project is renamed `<path>-deletion_scheduled-<id>`). */
  readonly markedForDeletionAt: string | null;
  readonly creatorId: number;
}

/** A project and its bare git repository. */
export type StoredProject = StoredGitRepository<ProjectRecord>;

/** The one user every token acts as. */
export interface UserRecord {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly createdAt: string;
}

/** The full path of a project (`acme/sub/ds`). */
export const projectPath = (record: ProjectRecord): string => `${record.namespacePath}/${record.path}`;

/**
 * Namespaces and projects of the GitLab test server on the shared brick's stores, under `dataDir`:
 * `namespaces/<full path>.json`, and per project `projects/<full path>.git` beside its record.
 */
export class GitLabStore {
  private constructor(
    readonly namespaces: JsonRecordStore<NamespaceRecord>,
    readonly projects: GitRepositoryStore<ProjectRecord>,
    readonly user: UserRecord,
    private readonly activityIntervalMs: number,
  ) {}

  /**
   * Opens `dataDir`, making the user `username` (and its namespace) on first use. `activityIntervalMs`: how old
   * `last_activity_at` must be before activity moves it (GitLab's is an hour, `Event::RESET_PROJECT_ACTIVITY_INTERVAL`;
   * 0 moves it on every push).
   */
  static async open(dataDir: string, username: string, activityIntervalMs = 0): Promise<GitLabStore> {
    const namespaces = await JsonRecordStore.open<NamespaceRecord>(path.join(dataDir, 'namespaces'), {
      keyOf: (namespace) => namespace.fullPath,
      firstId: 101,
    });
    const projects = await GitRepositoryStore.open<ProjectRecord>(path.join(dataDir, 'projects'), { keyOf: projectPath, firstId: 2001 });
    const createdAt = new Date().toISOString();
    const namespace = await namespaces.ensure(username, (id) => ({
      id,
      kind: 'user',
      name: username,
      path: username,
      fullPath: username,
      parentId: null,
      description: '',
      visibility: 'public',
      createdAt,
      userId: 1,
    }));
    const user = { id: namespace.userId ?? 1, username, name: username, createdAt: namespace.createdAt };
    return new GitLabStore(namespaces, projects, user, activityIntervalMs);
  }

  /** A namespace by numeric id or full path (case-insensitive). */
  findNamespace(idOrPath: string): NamespaceRecord | undefined {
    return /^\d+$/.test(idOrPath) ? this.namespaces.findById(Number(idOrPath)) : this.namespaces.find(idOrPath);
  }

  /** A group by numeric id or full path. */
  findGroup(idOrPath: string): NamespaceRecord | undefined {
    const namespace = this.findNamespace(idOrPath);
    return namespace?.kind === 'group' ? namespace : undefined;
  }

  /** A project by numeric id or full path. */
  findProject(idOrPath: string): StoredProject | undefined {
    return /^\d+$/.test(idOrPath) ? this.projects.findById(Number(idOrPath)) : this.projects.find(idOrPath);
  }

  /** The user's personal namespace. */
  userNamespace(): NamespaceRecord {
    return this.namespaces.find(this.user.username)!;
  }

  /** The bare repository of a project. */
  repositoryPath(fullPath: string): string {
    return this.projects.repositoryPath(fullPath);
  }

  /**
   * Notes activity on a project (a push, a tag): GitLab's `last_activity_at`, which `order_by=last_activity_at` sorts by,
   * moves only when it is older than the activity interval (`Event#reset_project_activity`).
   */
  async touch(stored: StoredProject, now = new Date()): Promise<StoredProject> {
    const at = now.toISOString();
    return this.projects.update(stored, (record) => {
      const recent = Date.parse(record.lastActivityAt) > now.getTime() - this.activityIntervalMs;
      return { ...record, ...(recent ? {} : { lastActivityAt: at }), updatedAt: at };
    });
  }
}

export type { GitRepository };
