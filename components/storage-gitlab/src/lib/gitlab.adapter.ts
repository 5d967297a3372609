import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { DomainError, RevisionConflictError } from '@metastore/errors';
import type {
  ChangedDatasets,
  CommitRequest,
  CreateDatasetRequest,
  DatasetId,
  DatasetStorage,
  DeleteDatasetOptions,
  Page,
  PageRequest,
  Revision,
  StorageUsage,
  Tag,
  TagRequest,
} from '@metastore/storage';
import {
  conflictingTagName,
  datasetAlreadyExists,
  datasetNotFound,
  formatDatasetId,
  isFullSha,
  isGitRefName,
  refNotFound,
  revisionNotFound,
  tagAlreadyExists,
  tagNameConflict,
  tagNotFound,
  validateAuthor,
} from '@metastore/storage';
import { createGitLabClient, type GitLabClient } from './gitlab-client';
import { LISTING_PAGE_SIZE, listActiveSince, type ListedProject, type ProjectListingPage } from './gitlab-change-listing';
import { OWNER, type GitLabStorageConfig } from './gitlab.config';
import { isTransient, messageOf, statusOf, storageUnavailable } from './gitlab.errors';
import type { ClientLogger, RateLimitBudget } from './gitlab-requester';
import { decodeTagMessage, encodeTagMessage } from './tag-message';

const SHORT_SHA = /^[0-9a-f]{4,39}$/;
const PAGE_SIZE = 100;
/** The file every Metastore dataset holds: resolving a ref reads it ahead (see resolveRef). */
const READ_AHEAD_PATH = 'datapackage.json';

/** The fields of a GitLab commit (commits API) that we read. */
interface GitLabCommit {
  id: string;
  parent_ids?: string[] | null;
  message: string;
  author_name: string;
  author_email: string;
  authored_date?: string | null;
  created_at?: string | null;
}

/** The fields of a GitLab tag (tags API) that we read. */
interface GitLabTag {
  name: string;
  message?: string | null;
  commit: GitLabCommit;
  created_at?: string | null;
}

/** The fields of a GitLab project that we read. */
interface GitLabProject {
  id: number;
  path: string;
  name?: string;
  path_with_namespace: string;
  description?: string | null;
  topics?: string[] | null;
  tag_list?: string[] | null;
  marked_for_deletion_at?: string | null;
  marked_for_deletion_on?: string | null;
}

/** The fields of a file answer of the files API (JSON, content base64) that we read. */
interface GitLabFile {
  content: string;
  encoding?: string;
  commit_id: string;
  last_commit_id: string;
}

/** A namespace (group or user) that can hold projects. */
interface GitLabNamespace {
  id: number;
  kind?: string;
  full_path: string;
}

/** A file as known at one commit: its content (absent: no such file) and the last commit that changed it (GitLab's guard). */
interface KnownFile {
  readonly content?: string;
  readonly lastCommitId?: string;
}

/** One action of GitLab's "create a commit with multiple files and actions". */
interface CommitAction {
  action: 'create' | 'update' | 'delete';
  filePath: string;
  content?: string;
  lastCommitId?: string;
}

/** An expanded gitbeaker answer. */
interface Expanded<T> {
  data: T;
  headers: Record<string, string>;
  status: number;
}

/** An expanded gitbeaker page. */
interface ExpandedPage<T> {
  data: T[];
  paginationInfo: { next: number | null };
}

/** git messages end with a newline, which GitLab keeps: one is added on write and taken off on read, so any text round-trips. */
function withGitNewline(message: string): string {
  return `${message}\n`;
}

function withoutGitNewline(message: string): string {
  return message.endsWith('\n') ? message.slice(0, -1) : message;
}

function toRevision(commit: GitLabCommit): Revision {
  return {
    sha: commit.id,
    parents: commit.parent_ids ?? [],
    message: withoutGitNewline(commit.message),
    author: { name: commit.author_name, email: commit.author_email },
    timestamp: new Date(commit.authored_date ?? commit.created_at ?? 0).toISOString(),
  };
}

function topicsOf(project: GitLabProject): string[] {
  return project.topics ?? project.tag_list ?? [];
}

function isMarkedForDeletion(project: GitLabProject): boolean {
  return Boolean(project.marked_for_deletion_at ?? project.marked_for_deletion_on);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** A 404 naming the project (`404 Project Not Found`), not something inside it. */
function isProjectNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && /project/i.test(messageOf(error));
}

/**
 * GitLab's 400 when the branch moved under the actions: a stale `last_commit_id`, a file created or deleted meanwhile, or
 * the branch moved while the commit was written ("Could not update branch main. Please refresh and try again.").
 */
function isStaleParent(error: unknown): boolean {
  const status = statusOf(error);
  return (
    (status === 400 || status === 409) &&
    /changed since|already exists|does not exist|doesn't exist|not exist|last_commit_id|has been updated|could not update branch/i.test(
      messageOf(error),
    )
  );
}

/**
 * DatasetStorage on GitLab through @gitbeaker/rest: one project per dataset in the owner's namespace (a subgroup of
 * `GITLAB_ROOT_GROUP`, or a top-level group or user), marked with a topic. Each write is one commit through the commits
 * API with `actions`, each action carrying the `last_commit_id` its file had at the parent: GitLab refuses the commit
 * (400) when any of those files changed since, which is our compare-and-swap. Immutable objects (files and commits by
 * sha) are cached; mutable answers (the head, tags) are revalidated with conditional requests.
 */
export class GitLabStorage implements DatasetStorage {
  readonly backend = 'gitlab';
  /** The rate-limit budget as last reported by GitLab (`RateLimit-*`), and the requests answered. */
  readonly budget: RateLimitBudget = { requests: 0, notModified: 0 };
  private readonly client: GitLabClient;
  private readonly logger: ClientLogger | undefined;
  private readonly files: LRUCache<string, KnownFile>;
  private readonly commits: LRUCache<string, Revision>;
  /** Owner → its namespace (looked up once; a failed lookup is tried again next time), and whether the lookup may create it. */
  private readonly namespaces = new Map<string, { namespace: Promise<GitLabNamespace>; create: boolean }>();

  constructor(
    private readonly config: GitLabStorageConfig,
    options: { logger?: ClientLogger } = {},
  ) {
    this.logger = options.logger;
    this.client = createGitLabClient(config, this.budget, options.logger);
    this.files = new LRUCache({ max: config.cacheEntries });
    this.commits = new LRUCache({ max: config.cacheEntries });
  }

  /** The project's web address: `<GITLAB_URL>/<namespace>/<name>`. */
  locationOf(id: DatasetId): string {
    return `${this.config.url}/${this.projectPath(id)}`;
  }

  async checkReady(): Promise<void> {
    try {
      if (this.config.rootGroup) await this.client.namespaces.show(this.config.rootGroup);
      else await this.client.users.showCurrentUser();
    } catch (error) {
      throw storageUnavailable(this.config.rootGroup ? `reach the root group ${this.config.rootGroup}` : 'reach the GitLab API', error);
    }
  }

  /** Two requests once the owner's namespace is known: the project, then its first commit with every file. */
  async createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision> {
    validateAuthor(request.author);
    const nonce = randomUUID();
    let namespace: GitLabNamespace;
    try {
      namespace = await this.namespaceFor(id.owner, { create: true });
    } catch (error) {
      throw this.mapError(error, `find or create the namespace of ${id.owner}`);
    }
    await this.createProject(id, namespace, nonce);
    try {
      const commit = await this.createInitialCommit(id, request);
      const revision = toRevision(commit);
      this.commits.set(this.commitKey(id, revision.sha), revision);
      for (const file of request.files)
        this.files.set(this.fileKey(id, revision.sha, file.path), { content: file.content, lastCommitId: revision.sha });
      return revision;
    } catch (error) {
      // Nothing half-created: a project without its first commit is removed again.
      await this.removeProject(id).catch(() => undefined);
      throw this.mapError(error, 'create the first commit', id);
    }
  }

  /**
   * GitLab cannot delete conditionally: with `expectedHead` the head is read (revalidated) right before the delete
   * request, and a push in between is deleted with the project. Where the instance delays deletion, the project is
   * removed for good at once (`permanently_remove`), or, when the instance refuses that, renamed out of the way and
   * stripped of the topic, so it is gone for this API at once.
   */
  async deleteDataset(id: DatasetId, options: DeleteDatasetOptions = {}): Promise<void> {
    try {
      const project = await this.project(id);
      // Only ever delete projects Metastore marked as datasets.
      if (!topicsOf(project).includes(this.config.topic) || isMarkedForDeletion(project)) throw datasetNotFound(id);
      if (options.expectedHead !== undefined) {
        const head = await this.resolveRef(id);
        if (head !== options.expectedHead) throw new RevisionConflictError(options.expectedHead, head);
      }
      await this.removeProject(id);
    } catch (error) {
      throw this.mapError(error, 'delete the dataset', id);
    } finally {
      this.forget(id);
    }
  }

  /**
   * With a root group: its subgroups (every owner created through Metastore), plus `GITLAB_OWNERS`. Without one,
   * `GITLAB_OWNERS` alone: enumerating every namespace of an instance would be neither cheap nor wanted.
   */
  async listOwners(): Promise<string[]> {
    const owners = new Set(this.config.owners);
    if (this.config.rootGroup) {
      try {
        // gitbeaker follows GitLab's `Link: rel="next"` pages.
        const subgroups = (await this.client.groups.allSubgroups(this.config.rootGroup, { perPage: PAGE_SIZE })) as unknown as {
          path: string;
        }[];
        for (const group of subgroups) if (OWNER.test(group.path)) owners.add(group.path);
      } catch (error) {
        if (statusOf(error) !== 404) throw this.mapError(error, `list the subgroups of ${this.config.rootGroup}`);
      }
    }
    return [...owners].sort();
  }

  async listDatasets(owner: string, page: PageRequest): Promise<Page<string>> {
    if (!OWNER.test(owner)) return { items: [] };
    const names: string[] = [];
    try {
      const namespace = await this.namespaceFor(owner, { create: false });
      for (let gitlabPage: number | null = 1; gitlabPage !== null && names.length <= page.limit;) {
        const options = {
          orderBy: 'path' as const,
          sort: 'asc' as const,
          topic: this.config.topic,
          perPage: PAGE_SIZE,
          page: gitlabPage,
          showExpanded: true as const,
        };
        const result = (namespace.kind === 'user'
          ? await this.client.users.allProjects(owner, options)
          : await this.client.groups.allProjects(namespace.full_path, {
              ...options,
              includeSubgroups: false,
            })) as unknown as ExpandedPage<GitLabProject>;
        for (const project of result.data) {
          if (!topicsOf(project).includes(this.config.topic) || isMarkedForDeletion(project)) continue;
          if (page.cursor === undefined || project.path > page.cursor) names.push(project.path);
        }
        gitlabPage = result.paginationInfo.next;
      }
    } catch (error) {
      if (statusOf(error) === 404) return { items: [] };
      throw this.mapError(error, `list the datasets of ${owner}`);
    }
    names.sort();
    if (names.length <= page.limit) return { items: names };
    const items = names.slice(0, page.limit);
    return { items, nextCursor: items[items.length - 1]! };
  }

  /**
   * The owner's datasets that may have been pushed to since `watermark`: its projects by `last_activity_at`, newest
   * first, down to an hour before the last run (GitLab moves `last_activity_at` at most hourly), the first page sent with
   * the ETag kept in the watermark (see `listActiveSince`). GitLab counts 304s, so an owner with nothing new costs one
   * counted request (two without a root group, for the namespace lookup of a cold process).
   */
  async listChangedDatasets(owner: string, watermark: string | undefined): Promise<ChangedDatasets> {
    if (!OWNER.test(owner)) return { changed: [], complete: [], watermark: '' };
    try {
      const endpoint = await this.projectListingOf(owner);
      const readPage = (page: number, etag?: string) => this.listingPage(endpoint, page, etag);
      const isDataset = (project: ListedProject) =>
        !isMarkedForDeletion(project as GitLabProject) && !/-deletion_scheduled-\d+$/.test(project.path);
      return await listActiveSince(readPage, isDataset, watermark);
    } catch (error) {
      // An owner without a group holds no datasets, as in `listDatasets`.
      if (statusOf(error) === 404) return { changed: [], complete: [], watermark: '' };
      throw this.mapError(error, `list the datasets of ${owner} changed since the last sync`);
    }
  }

  /**
   * Requests answered by GitLab since this adapter was made. GitLab counts its 304s against the rate limit, and the sync's
   * summary counts `requests - notModified`, so none is reported as free here (`budget.notModified` keeps the number).
   */
  usage(): StorageUsage {
    return { requests: this.budget.requests, notModified: 0 };
  }

  /** The owner's project listing: its subgroup under the root group by path (no lookup), else its namespace's kind decides. */
  private async projectListingOf(owner: string): Promise<string> {
    if (this.config.rootGroup) return `groups/${encodeURIComponent(this.namespacePath(owner))}/projects`;
    const namespace = await this.namespaceFor(owner, { create: false });
    return namespace.kind === 'user'
      ? `users/${encodeURIComponent(owner)}/projects`
      : `groups/${encodeURIComponent(namespace.full_path)}/projects`;
  }

  /** One page of a project listing by `last_activity_at`, newest first, with the topic; `notModified` when `etag` still matches. */
  private async listingPage(endpoint: string, page: number, etag?: string): Promise<ProjectListingPage> {
    const query = {
      order_by: 'last_activity_at',
      sort: 'desc',
      topic: this.config.topic,
      simple: true,
      per_page: LISTING_PAGE_SIZE,
      page,
      ...(endpoint.startsWith('groups/') ? { include_subgroups: false } : {}),
    };
    const response = await this.client.conditionalGet(endpoint, query, etag);
    const header = (name: string) => (response.headers as Record<string, string>)[name];
    const number = (name: string) => (header(name) && Number.isSafeInteger(Number(header(name))) ? Number(header(name)) : undefined);
    const total = number('x-total');
    const date = Date.parse(header('date') ?? '') || undefined;
    const common = { ...(total !== undefined ? { total } : {}), ...(date !== undefined ? { date } : {}) };
    if (response.status === 304) return { notModified: true, ...common };
    return {
      notModified: false,
      projects: response.body as unknown as ListedProject[],
      ...(header('etag') ? { etag: header('etag')! } : {}),
      nextPage: number('x-next-page') ?? null,
      ...common,
    };
  }

  /**
   * One request, revalidated (a 304 when nothing changed): the descriptor's JSON file answer at the ref (the files API),
   * whose `commit_id` is the ref's commit and whose content is what every caller of resolveRef reads next, cached by
   * that sha. A ref without a descriptor falls back to the commits API. (Raw answers are never revalidated: GitLab
   * serves them through Workhorse with the ETag of an empty body, gitlab-org/gitlab#371991.)
   */
  async resolveRef(id: DatasetId, ref?: string): Promise<string> {
    // A full sha needs no round trip: if it is not a commit of this project, the first read says so.
    if (ref !== undefined && isFullSha(ref)) return ref;
    if (ref !== undefined && !isGitRefName(ref)) throw refNotFound(id, ref);
    const target = ref ?? this.config.defaultBranch;
    try {
      const file = (await this.client.files.show(this.projectPath(id), READ_AHEAD_PATH, target)) as unknown as GitLabFile;
      const content = Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
      this.files.set(this.fileKey(id, file.commit_id, READ_AHEAD_PATH), { content, lastCommitId: file.last_commit_id });
      return file.commit_id;
    } catch (error) {
      if (statusOf(error) !== 404 || isProjectNotFound(error)) throw this.mapError(error, `resolve ${target}`, id);
      if (/commit|ref/i.test(messageOf(error))) throw refNotFound(id, target);
    }
    try {
      const commit = (await this.client.commits.show(this.projectPath(id), target)) as unknown as GitLabCommit;
      this.rememberCommit(id, commit);
      return commit.id;
    } catch (error) {
      if (statusOf(error) === 404 && !isProjectNotFound(error)) throw refNotFound(id, target);
      throw this.mapError(error, `resolve ${target}`, id);
    }
  }

  async readFile(id: DatasetId, sha: string, path: string): Promise<string | undefined> {
    return (await this.fileAt(id, sha, path)).content;
  }

  /**
   * One request with a known parent: the commits API with one action per change, each update and delete carrying the
   * `last_commit_id` of its file at the parent (known from the read of the parent or our own commit; looked up with one
   * raw read otherwise). GitLab checks those files only: a concurrent commit that touched none of them is kept, and ours
   * lands on top of it (no overwrite: the files differ); the returned revision's parents say so.
   */
  async commit(id: DatasetId, request: CommitRequest): Promise<Revision> {
    validateAuthor(request.author);
    const project = this.projectPath(id);
    let actions: CommitAction[];
    try {
      actions = await this.actionsFor(id, request);
    } catch (error) {
      // The parent is not a commit of this project: the head cannot be it.
      if (error instanceof DomainError && error.code === 'REF_NOT_FOUND')
        throw new RevisionConflictError(request.parent, undefined, { cause: error });
      throw this.mapError(error, 'commit', id);
    }
    const author = { authorName: request.author.name, authorEmail: request.author.email };
    for (let attempt = 0; ; attempt += 1) {
      try {
        const commit = (await this.client.commits.create(
          project,
          this.config.defaultBranch,
          withGitNewline(request.message),
          actions,
          author,
        )) as unknown as GitLabCommit;
        const revision = this.rememberCommit(id, commit);
        if (revision.parents[0] !== request.parent) {
          this.logger?.warn(
            { dataset: formatDatasetId(id), expectedParent: request.parent, parents: revision.parents },
            'GitLab committed on a head that had moved with changes to other files',
          );
        }
        this.carryFilesForward(id, request, revision.sha);
        return revision;
      } catch (error) {
        if (isStaleParent(error)) {
          throw new RevisionConflictError(request.parent, undefined, { cause: storageUnavailable('commit on the expected parent', error) });
        }
        if (!isTransient(error) || attempt >= this.config.maxRetries) throw this.mapError(error, 'commit', id);
        // The commit may have landed before the answer was lost: adopt it, or repeat only while the head is still the parent.
        const landed = await this.findLandedCommit(id, request).catch(() => undefined);
        if (landed === 'conflict')
          throw new RevisionConflictError(request.parent, undefined, { cause: storageUnavailable('commit', error) });
        if (landed) {
          this.carryFilesForward(id, request, landed.sha);
          return landed;
        }
        await sleep(this.config.retryBaseMs * 2 ** attempt);
      }
    }
  }

  /**
   * Revisions by first parent from `ref`, one request per page of up to 100 (`ref_name`, `first_parent`); the cursor
   * is the last item's parent, so pages stay stable while commits land. Longer pages follow `X-Next-Page`.
   */
  async listRevisions(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>> {
    const start = page.cursor ?? page.ref ?? this.config.defaultBranch;
    if (!isFullSha(start) && !isGitRefName(start)) throw refNotFound(id, start);
    const revisions: Revision[] = [];
    const perPage = Math.min(page.limit, PAGE_SIZE);
    try {
      for (let gitlabPage: number | null = 1; gitlabPage !== null && revisions.length < page.limit;) {
        const result = (await this.client.commits.all(this.projectPath(id), {
          refName: start,
          firstParent: true,
          perPage,
          page: gitlabPage,
          showExpanded: true,
        })) as unknown as ExpandedPage<GitLabCommit>;
        revisions.push(...result.data.slice(0, page.limit - revisions.length).map((commit) => this.rememberCommit(id, commit)));
        gitlabPage = result.paginationInfo.next;
      }
    } catch (error) {
      if (statusOf(error) === 404 && !isProjectNotFound(error)) throw refNotFound(id, start);
      throw this.mapError(error, 'list revisions', id);
    }
    // GitLab lists an unknown ref as empty: tell an unknown ref (or dataset) from an empty history.
    if (revisions.length === 0) await this.commitAt(id, start, () => refNotFound(id, start));
    const last = revisions[revisions.length - 1];
    const next = revisions.length === page.limit ? last?.parents[0] : undefined;
    return next ? { items: revisions, nextCursor: next } : { items: revisions };
  }

  async getRevision(id: DatasetId, sha: string): Promise<Revision> {
    if (!isFullSha(sha) && !SHORT_SHA.test(sha)) throw revisionNotFound(id, sha);
    return this.commitAt(id, sha, () => revisionNotFound(id, sha));
  }

  /** One request: GitLab's tags API makes the annotated tag (tagger: the token's user; the requested one is a trailer). */
  async createTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    validateAuthor(request.author);
    try {
      const created = (await this.client.tags.create(this.projectPath(id), request.name, request.target, {
        message: encodeTagMessage(request.description, request.author),
      })) as unknown as GitLabTag;
      return this.toTag(id, created);
    } catch (error) {
      throw await this.tagCreationRefusal(id, request, error);
    }
  }

  /**
   * GitLab has no tag update: the tag is read (TAG_NOT_FOUND), deleted and made again (3 requests). A failure after the
   * delete puts the old tag back; between the two requests, readers see no tag.
   */
  async replaceTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    validateAuthor(request.author);
    const old = await this.gitLabTag(id, request.name);
    const project = this.projectPath(id);
    try {
      await this.client.tags.remove(project, request.name);
    } catch (error) {
      if (statusOf(error) === 404 && !isProjectNotFound(error)) throw tagNotFound(id, request.name);
      throw this.mapError(error, `replace tag ${request.name}`, id);
    }
    try {
      const created = (await this.client.tags.create(project, request.name, request.target, {
        message: encodeTagMessage(request.description, request.author),
      })) as unknown as GitLabTag;
      return this.toTag(id, created);
    } catch (error) {
      await this.client.tags
        .create(project, request.name, old.commit.id, { message: old.message ?? '' })
        .catch((restore: unknown) =>
          this.logger?.warn({ dataset: formatDatasetId(id), tag: request.name, status: statusOf(restore) }, 'could not restore a tag'),
        );
      if (statusOf(error) === 400 && /invalid|not found|target/i.test(messageOf(error))) throw revisionNotFound(id, request.target);
      throw this.mapError(error, `replace tag ${request.name}`, id);
    }
  }

  async getTag(id: DatasetId, name: string): Promise<Tag> {
    return this.toTag(id, await this.gitLabTag(id, name));
  }

  /** Tags by name, 100 to a request (`order_by=name`), revalidated: an unchanged listing costs a 304. */
  async listTags(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    try {
      const tags: GitLabTag[] = [];
      for (let gitlabPage: number | null = 1; gitlabPage !== null;) {
        const result = (await this.client.tags.all(this.projectPath(id), {
          orderBy: 'name',
          sort: 'asc',
          perPage: PAGE_SIZE,
          page: gitlabPage,
          showExpanded: true,
        })) as unknown as ExpandedPage<GitLabTag>;
        tags.push(...result.data.filter((tag) => page.cursor === undefined || tag.name > page.cursor));
        gitlabPage = tags.length > page.limit ? null : result.paginationInfo.next;
      }
      const named = tags.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0)).slice(0, page.limit + 1);
      const items = named.slice(0, page.limit).map((tag) => this.toTag(id, tag));
      return named.length > page.limit ? { items, nextCursor: items[items.length - 1]!.name } : { items };
    } catch (error) {
      throw this.mapError(error, 'list tags', id);
    }
  }

  async deleteTag(id: DatasetId, name: string): Promise<void> {
    if (!isGitRefName(name)) throw tagNotFound(id, name);
    try {
      await this.client.tags.remove(this.projectPath(id), name);
    } catch (error) {
      if (statusOf(error) === 404 && !isProjectNotFound(error)) throw tagNotFound(id, name);
      throw this.mapError(error, `delete tag ${name}`, id);
    }
  }

  /** The namespace holding `owner`'s projects: `<root group>/<owner>`, or the top-level namespace `owner`. */
  private namespacePath(owner: string): string {
    return this.config.rootGroup ? `${this.config.rootGroup}/${owner}` : owner;
  }

  /** The project's full path, which GitLab takes URL-encoded wherever it takes an id (`root%2Facme%2Fclimate`). */
  private projectPath(id: DatasetId): string {
    return `${this.namespacePath(id.owner)}/${id.name}`;
  }

  /** The owner's namespace, looked up once; with `create`, a missing one is made (a subgroup of the root group, or a top-level group). */
  private namespaceFor(owner: string, options: { create: boolean }): Promise<GitLabNamespace> {
    const cached = this.namespaces.get(owner);
    if (cached && (cached.create || !options.create)) return cached.namespace;
    // None yet, or a lookup under way that may not create (a listing) while this call may: make the group after it fails.
    const namespace = cached
      ? cached.namespace.catch(() => this.lookUpNamespace(owner, true))
      : this.lookUpNamespace(owner, options.create);
    const entry = { namespace, create: options.create };
    this.namespaces.set(owner, entry);
    namespace.catch(() => {
      if (this.namespaces.get(owner) === entry) this.namespaces.delete(owner);
    });
    return namespace;
  }

  private async lookUpNamespace(owner: string, create: boolean): Promise<GitLabNamespace> {
    const path = this.namespacePath(owner);
    try {
      return (await this.client.namespaces.show(path)) as unknown as GitLabNamespace;
    } catch (error) {
      if (statusOf(error) !== 404 || !create) throw error;
    }
    let parentId: number | undefined;
    if (this.config.rootGroup) parentId = ((await this.client.namespaces.show(this.config.rootGroup)) as unknown as GitLabNamespace).id;
    try {
      const group = (await this.client.groups.create(owner, owner, {
        ...(parentId !== undefined ? { parentId } : {}),
        visibility: this.config.visibility,
        description: 'Metastore datasets',
      })) as unknown as { id: number; full_path: string };
      return { id: group.id, kind: 'group', full_path: group.full_path };
    } catch (error) {
      // Made meanwhile by a concurrent create (GitLab: "has already been taken").
      if (statusOf(error) === 400 && /taken/i.test(messageOf(error)))
        return (await this.client.namespaces.show(path)) as unknown as GitLabNamespace;
      throw error;
    }
  }

  /**
   * Creates the project. A create whose answer was lost (5xx, no answer) or that finds the path taken looks the project
   * up: it is adopted only if its description carries this create's nonce; anyone else's project is
   * DATASET_ALREADY_EXISTS and left alone; a path held by a project being deleted is waited for briefly.
   */
  private async createProject(id: DatasetId, namespace: GitLabNamespace, nonce: string): Promise<void> {
    const settings = {
      name: id.name,
      path: id.name,
      namespaceId: namespace.id,
      description: `Metastore dataset ${formatDatasetId(id)} (${nonce})`,
      visibility: this.config.visibility,
      topics: [this.config.topic],
      initializeWithReadme: false,
    };
    for (let attempt = 0; ; attempt += 1) {
      let failure: unknown;
      try {
        await this.client.projects.create(settings as Parameters<GitLabClient['projects']['create']>[0]);
        return;
      } catch (error) {
        failure = error;
      }
      const taken = statusOf(failure) === 400 && /taken|exists/i.test(messageOf(failure));
      if (!taken && !isTransient(failure)) throw this.mapError(failure, 'create the project', id);
      let existing: GitLabProject | undefined;
      try {
        existing = await this.project(id);
      } catch (lookup) {
        if (!isProjectNotFound(lookup) && !(lookup instanceof DomainError && lookup.code === 'DATASET_NOT_FOUND')) {
          throw this.mapError(lookup, 'look up the project', id);
        }
      }
      if (existing) {
        if (existing.description?.includes(nonce)) return;
        throw datasetAlreadyExists(id);
      }
      if (attempt >= this.config.maxRetries) throw this.mapError(failure, 'create the project', id);
      // Nothing there: the create did not land (5xx), or the path is still held by a project being deleted (taken).
      await sleep(this.config.retryBaseMs * 2 ** attempt);
    }
  }

  /** The root commit on the empty repository, creating the default branch; a lost answer is checked before repeating. */
  private async createInitialCommit(id: DatasetId, request: CreateDatasetRequest): Promise<GitLabCommit> {
    const actions: CommitAction[] = request.files.map((file) => ({ action: 'create', filePath: file.path, content: file.content }));
    const message = withGitNewline(request.message);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await this.client.commits.create(this.projectPath(id), this.config.defaultBranch, message, actions, {
          authorName: request.author.name,
          authorEmail: request.author.email,
        })) as unknown as GitLabCommit;
      } catch (error) {
        if (!isTransient(error) || attempt >= this.config.maxRetries) throw error;
        const head = await this.client.commits.show(this.projectPath(id), this.config.defaultBranch).then(
          (commit) => commit as unknown as GitLabCommit,
          (lookup: unknown) => {
            if (statusOf(lookup) === 404) return undefined;
            throw lookup;
          },
        );
        if (head) {
          if (head.message === message && (head.parent_ids ?? []).length === 0) return head;
          throw datasetAlreadyExists(id);
        }
        await sleep(this.config.retryBaseMs * 2 ** attempt);
      }
    }
  }

  /** Deletes the project now, including on instances that delay deletion (see deleteDataset). */
  private async removeProject(id: DatasetId): Promise<void> {
    const path = this.projectPath(id);
    await this.client.projects.remove(path);
    let pending: GitLabProject;
    try {
      pending = (await this.client.projects.show(path)) as unknown as GitLabProject;
    } catch (error) {
      // Gone (or renamed `<path>-deletion_scheduled-<id>` by GitLab 16.3+'s delayed deletion): the path is free.
      if (statusOf(error) === 404) return;
      throw error;
    }
    // Not marked: an immediate deletion, which GitLab finishes in the background.
    if (!isMarkedForDeletion(pending)) return;
    try {
      // Delayed deletion marked it; the second call with its full path deletes it now (GitLab 15.11+, where allowed).
      await this.client.projects.remove(path, {
        searchParams: { permanently_remove: true, full_path: pending.path_with_namespace },
      } as Parameters<GitLabClient['projects']['remove']>[1]);
      await this.client.projects.show(path);
    } catch (error) {
      if (statusOf(error) === 404) return;
      this.logger?.warn(
        { dataset: formatDatasetId(id), status: statusOf(error) },
        'GitLab kept the project for delayed deletion; renaming it away',
      );
    }
    // Refused (or still there): out of the dataset's path and listings at once; GitLab removes it when its delay ends.
    const suffix = `deleted-${Date.now().toString(36)}`;
    await this.client.projects.edit(path, { path: `${id.name}-${suffix}`, name: `${id.name}-${suffix}`, topics: [] } as Parameters<
      GitLabClient['projects']['edit']
    >[1]);
  }

  private async project(id: DatasetId): Promise<GitLabProject> {
    try {
      return (await this.client.projects.show(this.projectPath(id))) as unknown as GitLabProject;
    } catch (error) {
      if (statusOf(error) === 404) throw datasetNotFound(id);
      throw error;
    }
  }

  /** The actions of a commit: create or update by whether the file exists at the parent, with its last commit as the guard. */
  private async actionsFor(id: DatasetId, request: CommitRequest): Promise<CommitAction[]> {
    const known = await Promise.all(request.changes.map((change) => this.fileAt(id, request.parent, change.path)));
    const actions: CommitAction[] = [];
    request.changes.forEach((change, index) => {
      const before = known[index]!;
      // Without its guard an update or delete would overwrite whatever landed since the parent: refused, never sent unguarded.
      if (before.content !== undefined && before.lastCommitId === undefined)
        throw storageUnavailable(
          `commit: GitLab sent no X-Gitlab-Last-Commit-Id for ${change.path}, the guard against a stale parent`,
          undefined,
        );
      const guard = before.lastCommitId !== undefined ? { lastCommitId: before.lastCommitId } : {};
      if ('delete' in change) {
        if (before.content !== undefined) actions.push({ action: 'delete', filePath: change.path, ...guard });
      } else if (before.content === undefined) {
        actions.push({ action: 'create', filePath: change.path, content: change.content });
      } else {
        actions.push({ action: 'update', filePath: change.path, content: change.content, ...guard });
      }
    });
    return actions;
  }

  /**
   * After a commit request failed without an answer: our commit if it landed (head's parent is ours, same message and
   * author), 'conflict' if the head moved to something else, undefined if the head is still the parent.
   */
  private async findLandedCommit(id: DatasetId, request: CommitRequest): Promise<Revision | 'conflict' | undefined> {
    const head = (await this.client.commits.show(this.projectPath(id), this.config.defaultBranch)) as unknown as GitLabCommit;
    if (head.id === request.parent) return undefined;
    const revision = toRevision(head);
    const ours =
      revision.parents[0] === request.parent &&
      revision.message === request.message &&
      revision.author.name === request.author.name &&
      revision.author.email === request.author.email;
    if (!ours) return 'conflict';
    this.rememberCommit(id, head);
    return revision;
  }

  /** A file at a commit: from the cache, or one raw read (whose `X-Gitlab-Last-Commit-Id` is the commit guard later). */
  private async fileAt(id: DatasetId, sha: string, path: string): Promise<KnownFile> {
    const cacheKey = this.fileKey(id, sha, path);
    const cached = this.files.get(cacheKey);
    if (cached) return cached;
    let known: KnownFile;
    try {
      const response = (await this.client.files.showRaw(this.projectPath(id), path, sha, { showExpanded: true })) as unknown as Expanded<
        string | Blob
      >;
      const content = typeof response.data === 'string' ? response.data : await response.data.text();
      const lastCommitId = response.headers['x-gitlab-last-commit-id'];
      known = lastCommitId ? { content, lastCommitId } : { content };
    } catch (error) {
      if (statusOf(error) !== 404) throw this.mapError(error, `read ${path} at ${sha}`, id);
      if (isProjectNotFound(error)) throw datasetNotFound(id);
      if (/commit|ref|revision/i.test(messageOf(error))) throw refNotFound(id, sha);
      known = {};
    }
    // Only a full sha names immutable content; a short one could come to mean another commit.
    if (isFullSha(sha)) this.files.set(cacheKey, known);
    return known;
  }

  /** A commit by sha or ref, from the cache or one request; `missing` makes the error for an unknown one. */
  private async commitAt(id: DatasetId, ref: string, missing: () => DomainError): Promise<Revision> {
    const cached = this.commits.get(this.commitKey(id, ref));
    if (cached) return cached;
    try {
      const commit = (await this.client.commits.show(this.projectPath(id), ref)) as unknown as GitLabCommit;
      return this.rememberCommit(id, commit);
    } catch (error) {
      if (statusOf(error) === 404 && !isProjectNotFound(error)) throw missing();
      throw this.mapError(error, `read revision ${ref}`, id);
    }
  }

  private async gitLabTag(id: DatasetId, name: string): Promise<GitLabTag> {
    if (!isGitRefName(name)) throw tagNotFound(id, name);
    try {
      return (await this.client.tags.show(this.projectPath(id), name)) as unknown as GitLabTag;
    } catch (error) {
      if (statusOf(error) === 404 && !isProjectNotFound(error)) throw tagNotFound(id, name);
      throw this.mapError(error, `read tag ${name}`, id);
    }
  }

  private toTag(id: DatasetId, tag: GitLabTag): Tag {
    const revision = this.rememberCommit(id, tag.commit);
    // A lightweight tag (pushed by plain git) has no message of its own; a tag made elsewhere has no trailer.
    const { description, author } = decodeTagMessage(tag.message ?? '');
    return {
      name: tag.name,
      target: tag.commit.id,
      description,
      author: author ?? revision.author,
      createdAt: new Date(tag.created_at ?? revision.timestamp).toISOString(),
    };
  }

  /**
   * Why GitLab refused to create a tag: it exists ("Tag x already exists"); a tag above or below it is in the way (git's
   * directory/file conflict, which GitLab reports in other words: one listing names it); or the target is no commit.
   */
  private async tagCreationRefusal(id: DatasetId, request: TagRequest, error: unknown): Promise<DomainError> {
    const status = statusOf(error);
    if (status === undefined || status >= 500 || status === 429 || status === 404)
      return this.mapError(error, `create tag ${request.name}`, id);
    let names: string[];
    try {
      names = await this.listAllTagNames(id);
    } catch (lookup) {
      return this.mapError(lookup, `create tag ${request.name}`, id);
    }
    if (names.includes(request.name)) return tagAlreadyExists(id, request.name);
    const conflicting = conflictingTagName(request.name, names);
    if (conflicting !== undefined) return tagNameConflict(id, request.name, conflicting);
    if (/already exists/i.test(messageOf(error))) return tagAlreadyExists(id, request.name);
    if (/target|invalid|not found/i.test(messageOf(error))) return revisionNotFound(id, request.target);
    return this.mapError(error, `create tag ${request.name}`, id);
  }

  private async listAllTagNames(id: DatasetId): Promise<string[]> {
    const tags = (await this.client.tags.all(this.projectPath(id), { perPage: PAGE_SIZE })) as unknown as GitLabTag[];
    return tags.map((tag) => tag.name);
  }

  /** After a commit, the new revision's files are known: changed ones from the request, the rest from the parent's cache. */
  private carryFilesForward(id: DatasetId, request: CommitRequest, sha: string): void {
    const changed = new Set(request.changes.map((change) => change.path));
    for (const change of request.changes) {
      this.files.set(
        this.fileKey(id, sha, change.path),
        'delete' in change ? { lastCommitId: sha } : { content: change.content, lastCommitId: sha },
      );
    }
    const parentPrefix = this.fileKey(id, request.parent, '');
    for (const [cacheKey, value] of this.files.entries()) {
      if (!cacheKey.startsWith(parentPrefix)) continue;
      const path = cacheKey.slice(parentPrefix.length);
      if (!changed.has(path)) this.files.set(this.fileKey(id, sha, path), value);
    }
  }

  private rememberCommit(id: DatasetId, commit: GitLabCommit): Revision {
    const revision = toRevision(commit);
    this.commits.set(this.commitKey(id, revision.sha), revision);
    return revision;
  }

  private forget(id: DatasetId): void {
    const prefix = `${this.projectPath(id)}@`;
    for (const cache of [this.files, this.commits] as LRUCache<string, object>[]) {
      for (const cacheKey of cache.keys()) if (cacheKey.startsWith(prefix)) cache.delete(cacheKey);
    }
  }

  private fileKey(id: DatasetId, sha: string, path: string): string {
    return `${this.projectPath(id)}@${sha}:${path}`;
  }

  private commitKey(id: DatasetId, sha: string): string {
    return `${this.projectPath(id)}@${sha}`;
  }

  /**
   * Domain errors pass through; a 404 naming the project is an unknown dataset; anything else is STORAGE_UNAVAILABLE
   * with the GitLab error as its cause.
   */
  private mapError(error: unknown, what: string, id?: DatasetId): DomainError {
    if (error instanceof DomainError) return error;
    if (id && isProjectNotFound(error)) return datasetNotFound(id);
    return storageUnavailable(what, error);
  }
}
