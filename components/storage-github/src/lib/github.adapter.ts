import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { DomainError, NotFoundError, RevisionConflictError } from '@metastore/errors';
import type {
  Author,
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
import { createGitHubClient, type ClientLogger, type GitHubClient, type RateLimitBudget } from './github-client';
import { lastPageOf, LISTING_PAGE_SIZE, listChangedSince, type ListedRepository, type ListingPage } from './github-change-listing';
import type { GitHubStorageConfig } from './github.config';
import { isOctokitFailure, storageUnavailable, upstreamMessage } from './github.errors';

const SHORT_SHA = /^[0-9a-f]{4,39}$/;
const PAGE_SIZE = 100;

interface CommitInfo {
  readonly revision: Revision;
  readonly tree: string;
}

/** The fields of a GitHub commit response (REST `commits/{ref}` and `commits` list) that we read. */
interface GitHubCommit {
  sha: string;
  parents: { sha: string }[];
  commit: { message: string; tree: { sha: string }; author: { name?: string; email?: string; date?: string } | null };
}

/** The fields of a GitHub annotated tag object that we read. */
interface GitHubTagObject {
  sha: string;
  tag: string;
  message: string;
  tagger: { name: string; email: string; date: string };
  object: { sha: string; type: string };
}

/**
 * git messages end with a newline, and GitHub shows them without it: we add one on write and take
 * GitHub's display as is, so text (even text ending in newlines) round-trips.
 */
function withGitNewline(message: string): string {
  return `${message}\n`;
}

function toRevision(commit: GitHubCommit): CommitInfo {
  return {
    tree: commit.commit.tree.sha,
    revision: {
      sha: commit.sha,
      parents: commit.parents.map((parent) => parent.sha),
      message: commit.commit.message,
      author: { name: commit.commit.author?.name ?? '', email: commit.commit.author?.email ?? '' },
      timestamp: new Date(commit.commit.author?.date ?? 0).toISOString(),
    },
  };
}

function status(error: unknown): number | undefined {
  return isOctokitFailure(error) ? error.status : undefined;
}

function seconds(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * A commit author or tagger as GitHub writes it into the object's header; one that would corrupt the header is refused (VALIDATION_FAILED).
 */
function gitPerson(author: Author, at: Date): { name: string; email: string; date: string } {
  validateAuthor(author);
  return { name: author.name, email: author.email, date: seconds(at) };
}

/**
 * DatasetStorage on GitHub: one repository per dataset (`<owner>/<name>`, owner an organisation or
 * the token's user), written through the Git Data API as single commits whose non-forced ref update
 * is the compare-and-swap. Immutable objects (files and commits by sha, tag objects) are cached;
 * mutable refs are revalidated with conditional requests, whose 304 answers GitHub does not count.
 */
export class GitHubStorage implements DatasetStorage {
  readonly backend = 'github';
  /** The rate-limit budget as last reported by GitHub. */
  readonly budget: RateLimitBudget = { requests: 0, notModified: 0 };
  /** The token's client; with a GitHub App, the App's own (JWT) client, which only looks up installations. */
  private readonly client: GitHubClient;
  /** GitHub App: per owner (lower-cased), a client acting as the App's installation on that owner. */
  private readonly installationClients = new Map<string, Promise<GitHubClient>>();
  private readonly logger: ClientLogger | undefined;
  private readonly files: LRUCache<string, string | { absent: true }>;
  private readonly commits: LRUCache<string, CommitInfo>;
  private readonly tagObjects: LRUCache<string, GitHubTagObject>;
  private readonly conditional: LRUCache<string, { etag: string; value: unknown }>;

  constructor(
    private readonly config: GitHubStorageConfig,
    options: { logger?: ClientLogger; clock?: () => Date } = {},
  ) {
    this.client = createGitHubClient(config, this.budget, options.logger);
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    const max = config.cacheEntries;
    this.files = new LRUCache({ max });
    this.commits = new LRUCache({ max });
    this.tagObjects = new LRUCache({ max });
    this.conditional = new LRUCache({ max });
  }

  private readonly clock: () => Date;

  /** The repository's web address: github.com for api.github.com, the Enterprise host for `/api/v3` roots, else the API root itself. */
  locationOf(id: DatasetId): string {
    const web = this.config.apiUrl === 'https://api.github.com' ? 'https://github.com' : this.config.apiUrl.replace(/\/api\/v3$/, '');
    return `${web}/${id.owner}/${id.name}`;
  }

  async checkReady(): Promise<void> {
    try {
      // Not counted against the core rate limit; an App checks its key instead (GET /app, with its JWT).
      if (this.config.auth.type === 'app') await this.client.apps.getAuthenticated();
      else await this.client.rateLimit.get();
    } catch (error) {
      throw storageUnavailable('reach the GitHub API', error);
    }
  }

  async createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision> {
    validateAuthor(request.author);
    const nonce = randomUUID();
    const client = await this.clientFor(id.owner).catch((error: unknown) => {
      throw status(error) === 404
        ? storageUnavailable(`create the dataset: the GitHub App is not installed on ${id.owner}`, error)
        : this.mapError(error, 'create the dataset', id);
    });
    const repository = await this.createRepository(client, id, nonce);
    try {
      return await this.retryWhileFresh(async () => {
        const files = [...request.files];
        if (this.config.lfsUrl) files.push({ path: '.lfsconfig', content: `[lfs]\n\turl = ${this.config.lfsUrl}\n` });
        const { data: tree } = await client.git.createTree({
          ...this.repo(id),
          tree: files.map((file) => ({ path: file.path, mode: '100644' as const, type: 'blob' as const, content: file.content })),
        });
        const { data: commit } = await client.git.createCommit({
          ...this.repo(id),
          message: withGitNewline(request.message),
          tree: tree.sha,
          parents: [],
          author: gitPerson(request.author, request.timestamp ?? this.clock()),
        });
        // auto_init made a placeholder commit (Git Data calls fail on an empty repository); our root commit replaces it.
        if (repository.defaultBranch === this.config.defaultBranch) {
          await client.git.updateRef({ ...this.repo(id), ref: `heads/${this.config.defaultBranch}`, sha: commit.sha, force: true });
        } else {
          await client.git.createRef({ ...this.repo(id), ref: `refs/heads/${this.config.defaultBranch}`, sha: commit.sha });
        }
        await client.repos.replaceAllTopics({ ...this.repo(id), names: [this.config.topic] });
        const info = toRevision({
          sha: commit.sha,
          parents: [],
          commit: { message: commit.message, tree: { sha: tree.sha }, author: commit.author },
        });
        this.rememberCommit(id, info);
        for (const file of files) this.files.set(this.fileKey(id, commit.sha, file.path), file.content);
        return info.revision;
      });
    } catch (error) {
      // Nothing half-created: a repository without its first commit is removed again.
      await client.repos.delete(this.repo(id)).catch(() => undefined);
      throw this.mapError(error, 'create the dataset', id);
    }
  }

  /**
   * GitHub cannot delete a repository conditionally: with `expectedHead` the head is read (revalidated, so fresh) right
   * before the delete request. A push landing in the gap between the two is deleted with the repository.
   */
  async deleteDataset(id: DatasetId, options: DeleteDatasetOptions = {}): Promise<void> {
    try {
      const client = await this.clientFor(id.owner);
      const { data } = await client.repos.get(this.repo(id));
      // Only ever delete repositories Metastore marked as datasets.
      if (!(data.topics ?? []).includes(this.config.topic)) throw datasetNotFound(id);
      if (options.expectedHead !== undefined) {
        const head = await this.resolveRef(id);
        if (head !== options.expectedHead) throw new RevisionConflictError(options.expectedHead, head);
      }
      await client.repos.delete(this.repo(id));
      this.forget(id);
    } catch (error) {
      throw this.mapError(error, 'delete the dataset', id);
    }
  }

  /**
   * The configured owners (`GITHUB_OWNERS` and `GITHUB_USER`): enumerating every organisation a token can see would be neither cheap nor
   * wanted.
   */
  async listOwners(): Promise<string[]> {
    return [...this.config.owners].sort();
  }

  async listDatasets(owner: string, page: PageRequest): Promise<Page<string>> {
    const names: string[] = [];
    try {
      const client = await this.clientFor(owner);
      for (let githubPage = 1; names.length <= page.limit; githubPage += 1) {
        const parameters = {
          type: 'all' as const,
          sort: 'full_name' as const,
          direction: 'asc' as const,
          per_page: PAGE_SIZE,
          page: githubPage,
        };
        const { data } =
          owner === this.config.userLogin
            ? await client.repos.listForUser({ username: owner, ...parameters, type: 'owner' as const })
            : await client.repos.listForOrg({ org: owner, ...parameters });
        for (const repository of data) {
          if ((repository.topics ?? []).includes(this.config.topic) && (page.cursor === undefined || repository.name > page.cursor)) {
            names.push(repository.name);
          }
        }
        if (data.length < PAGE_SIZE) break;
      }
    } catch (error) {
      if (status(error) === 404) return { items: [] };
      throw this.mapError(error, `list the datasets of ${owner}`);
    }
    names.sort();
    if (names.length <= page.limit) return { items: names };
    const items = names.slice(0, page.limit);
    return { items, nextCursor: items[items.length - 1]! };
  }

  /**
   * The owner's datasets pushed to since `watermark`: the repositories listed by `pushed_at`, newest first, read with
   * conditional requests down to the watermark (see `listChangedSince`); an owner with nothing new costs two 304s, which
   * GitHub does not count. The watermark carries the listing's ETags, so a process starting cold (a CronJob) revalidates too.
   */
  async listChangedDatasets(owner: string, watermark: string | undefined): Promise<ChangedDatasets> {
    try {
      const client = await this.clientFor(owner);
      const readPage = (page: number, etag?: string) => this.listingPage(client, owner, page, etag);
      return await listChangedSince(readPage, (repository) => (repository.topics ?? []).includes(this.config.topic), watermark);
    } catch (error) {
      // An owner GitHub does not know (or an App not installed on it) holds no datasets, as in `listDatasets`.
      if (status(error) === 404) return { changed: [], complete: [], watermark: '' };
      throw this.mapError(error, `list the datasets of ${owner} changed since the last sync`);
    }
  }

  /** Requests answered by GitHub since this adapter was made, and how many were 304s (not counted by GitHub). */
  usage(): StorageUsage {
    return { requests: this.budget.requests, notModified: this.budget.notModified };
  }

  /** One page of the owner's repositories by last push, newest first; `notModified` when `etag` still matches. */
  private async listingPage(client: GitHubClient, owner: string, page: number, etag?: string): Promise<ListingPage> {
    const parameters = {
      sort: 'pushed' as const,
      direction: 'desc' as const,
      per_page: LISTING_PAGE_SIZE,
      page,
      headers: etag ? { 'if-none-match': etag } : {},
    };
    try {
      const response =
        owner === this.config.userLogin
          ? await client.repos.listForUser({ username: owner, ...parameters, type: 'owner' as const })
          : await client.repos.listForOrg({ org: owner, ...parameters, type: 'all' as const });
      return {
        notModified: false,
        repositories: response.data as ListedRepository[],
        ...(response.headers.etag ? { etag: response.headers.etag } : {}),
        lastPage: lastPageOf(response.headers.link, page),
      };
    } catch (error) {
      if (etag && status(error) === 304) return { notModified: true };
      throw error;
    }
  }

  async resolveRef(id: DatasetId, ref?: string): Promise<string> {
    // A full sha needs no round trip: if it is not a commit of this repository, the first read says so.
    if (ref !== undefined && isFullSha(ref)) return ref;
    if (ref !== undefined && !isGitRefName(ref)) throw refNotFound(id, ref);
    const target = ref ?? this.config.defaultBranch;
    try {
      return (await this.commitInfo(id, target)).revision.sha;
    } catch (error) {
      if (error instanceof NotFoundError && error.code === 'REVISION_NOT_FOUND') throw refNotFound(id, target);
      throw error;
    }
  }

  async readFile(id: DatasetId, sha: string, path: string): Promise<string | undefined> {
    const cacheKey = this.fileKey(id, sha, path);
    const cached = this.files.get(cacheKey);
    if (cached !== undefined) return typeof cached === 'string' ? cached : undefined;
    let content: string | undefined;
    const client = await this.clientFor(id.owner).catch((error: unknown) => {
      throw this.mapError(error, `read ${path} at ${sha}`, id);
    });
    try {
      // The raw media type serves files of any size (the JSON form stops at 1 MB).
      const { data } = await client.repos.getContent({ ...this.repo(id), path, ref: sha, mediaType: { format: 'raw' } });
      content = typeof data === 'string' ? data : Buffer.from(data as unknown as ArrayBuffer).toString('utf8');
    } catch (error) {
      if (status(error) !== 404) throw this.mapError(error, `read ${path} at ${sha}`, id);
      if (/no commit found/i.test(isOctokitFailure(error) ? upstreamMessage(error) : '')) throw refNotFound(id, sha);
    }
    this.files.set(cacheKey, content ?? { absent: true });
    return content;
  }

  async commit(id: DatasetId, request: CommitRequest): Promise<Revision> {
    try {
      const client = await this.clientFor(id.owner);
      const parent = await this.commitInfo(id, request.parent);
      const { data: tree } = await client.git.createTree({
        ...this.repo(id),
        base_tree: parent.tree,
        tree: request.changes.map((change) =>
          'delete' in change
            ? { path: change.path, mode: '100644' as const, type: 'blob' as const, sha: null }
            : { path: change.path, mode: '100644' as const, type: 'blob' as const, content: change.content },
        ),
      });
      const { data: commit } = await client.git.createCommit({
        ...this.repo(id),
        message: withGitNewline(request.message),
        tree: tree.sha,
        parents: [request.parent],
        author: gitPerson(request.author, request.timestamp ?? this.clock()),
      });
      try {
        // Not forced: GitHub refuses anything but a fast-forward from the current head, our compare-and-swap.
        await client.git.updateRef({ ...this.repo(id), ref: `heads/${this.config.defaultBranch}`, sha: commit.sha, force: false });
      } catch (error) {
        if (status(error) === 422 && /fast.forward/i.test(isOctokitFailure(error) ? upstreamMessage(error) : '')) {
          throw new RevisionConflictError(request.parent, undefined, { cause: this.mapError(error, 'update the branch', id) });
        }
        throw error;
      }
      const info = toRevision({
        sha: commit.sha,
        parents: [{ sha: request.parent }],
        commit: { message: commit.message, tree: { sha: tree.sha }, author: commit.author },
      });
      this.rememberCommit(id, info);
      this.carryFilesForward(id, request, commit.sha);
      return info.revision;
    } catch (error) {
      throw this.mapError(error, 'commit', id);
    }
  }

  async listRevisions(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>> {
    const start = page.cursor ?? page.ref ?? this.config.defaultBranch;
    if (!isGitRefName(start)) throw refNotFound(id, start);
    try {
      const client = await this.clientFor(id.owner);
      const { data } = await client.repos.listCommits({ ...this.repo(id), sha: start, per_page: Math.min(page.limit, PAGE_SIZE) });
      const revisions = (data as unknown as GitHubCommit[]).map((commit) => {
        const info = toRevision(commit);
        this.rememberCommit(id, info);
        return info.revision;
      });
      const last = revisions[revisions.length - 1];
      const next = revisions.length === page.limit ? last?.parents[0] : undefined;
      return next ? { items: revisions, nextCursor: next } : { items: revisions };
    } catch (error) {
      const code = status(error);
      if (code === 422 || code === 409) throw refNotFound(id, start);
      throw this.mapError(error, 'list revisions', id);
    }
  }

  async getRevision(id: DatasetId, sha: string): Promise<Revision> {
    if (!isFullSha(sha) && !SHORT_SHA.test(sha)) throw revisionNotFound(id, sha);
    return (await this.commitInfo(id, sha)).revision;
  }

  async createTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    try {
      const client = await this.clientFor(id.owner);
      const tagObject = await this.writeTagObject(client, id, request);
      try {
        await client.git.createRef({ ...this.repo(id), ref: `refs/tags/${request.name}`, sha: tagObject.sha });
      } catch (error) {
        if (status(error) === 422) throw await this.tagCreationRefusal(id, request.name, error);
        throw error;
      }
      return this.toTag(request.name, tagObject);
    } catch (error) {
      throw this.mapError(error, `create tag ${request.name}`, id);
    }
  }

  async replaceTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    try {
      await this.readTagRef(id, request.name);
      const client = await this.clientFor(id.owner);
      const tagObject = await this.writeTagObject(client, id, request);
      try {
        await client.git.updateRef({ ...this.repo(id), ref: `tags/${request.name}`, sha: tagObject.sha, force: true });
      } catch (error) {
        if (status(error) === 422) throw tagNotFound(id, request.name);
        throw error;
      }
      return this.toTag(request.name, tagObject);
    } catch (error) {
      throw this.mapError(error, `replace tag ${request.name}`, id);
    }
  }

  async getTag(id: DatasetId, name: string): Promise<Tag> {
    try {
      const target = await this.readTagRef(id, name);
      return await this.tagFromRef(id, name, target);
    } catch (error) {
      throw this.mapError(error, `read tag ${name}`, id);
    }
  }

  async listTags(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    try {
      const refs = await this.listTagRefs(id);
      const named = refs
        .map((ref) => ({ name: ref.ref.replace(/^refs\/tags\//, ''), object: ref.object }))
        .filter((ref) => page.cursor === undefined || ref.name > page.cursor)
        .sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0))
        .slice(0, page.limit + 1);
      // Tag objects are immutable: known ones cost no request.
      const tags = await Promise.all(named.map((ref) => this.tagFromRef(id, ref.name, ref.object)));
      if (tags.length <= page.limit) return { items: tags };
      const items = tags.slice(0, page.limit);
      return { items, nextCursor: items[items.length - 1]!.name };
    } catch (error) {
      throw this.mapError(error, 'list tags', id);
    }
  }

  async deleteTag(id: DatasetId, name: string): Promise<void> {
    if (!isGitRefName(name)) throw tagNotFound(id, name);
    try {
      const client = await this.clientFor(id.owner);
      await client.git.deleteRef({ ...this.repo(id), ref: `tags/${name}` });
    } catch (error) {
      if (status(error) === 422 || status(error) === 404) throw tagNotFound(id, name);
      throw this.mapError(error, `delete tag ${name}`, id);
    }
  }

  /** The client acting for `owner`: the token's, or the GitHub App's installation on `owner` (looked up once, then cached). */
  private clientFor(owner: string): Promise<GitHubClient> {
    if (this.config.auth.type === 'token') return Promise.resolve(this.client);
    const cacheKey = owner.toLowerCase();
    let client = this.installationClients.get(cacheKey);
    if (!client) {
      client = this.installationClient(owner);
      this.installationClients.set(cacheKey, client);
      // A failed lookup (the App not installed yet, GitHub unreachable) is tried again next time.
      client.catch(() => this.installationClients.delete(cacheKey));
    }
    return client;
  }

  /** Finds the App's installation on `owner` with the App's JWT; auth-app then mints and refreshes its tokens. */
  private async installationClient(owner: string): Promise<GitHubClient> {
    try {
      const { data } =
        owner === this.config.userLogin
          ? await this.client.apps.getUserInstallation({ username: owner })
          : await this.client.apps.getOrgInstallation({ org: owner });
      return createGitHubClient(this.config, this.budget, this.logger, data.id);
    } catch (error) {
      // Not installed: callers treat it like GitHub's other 404s (an unknown dataset, an empty listing).
      if (status(error) === 404) throw error;
      const hint =
        status(error) === 401 && this.config.auth.type === 'app' ? ` (does the private key belong to App ${this.config.auth.appId}?)` : '';
      throw storageUnavailable(`authenticate as the GitHub App's installation on ${owner}${hint}`, error);
    }
  }

  /** Creates the repository; a retried create that finds "name already exists" adopts it only if our nonce is in it. */
  private async createRepository(client: GitHubClient, id: DatasetId, nonce: string): Promise<{ defaultBranch: string }> {
    const settings = {
      name: id.name,
      description: `Metastore dataset ${formatDatasetId(id)} (${nonce})`,
      auto_init: true,
      has_issues: false,
      has_wiki: false,
      has_projects: false,
    };
    try {
      const { data } =
        id.owner === this.config.userLogin
          ? await client.repos.createForAuthenticatedUser({ ...settings, private: this.config.visibility !== 'public' })
          : // 'internal' exists on GitHub Enterprise organisations; Octokit's types lag behind.
            await client.repos.createInOrg({ org: id.owner, ...settings, visibility: this.config.visibility as 'public' | 'private' });
      return { defaultBranch: data.default_branch ?? this.config.defaultBranch };
    } catch (error) {
      if (status(error) !== 422) throw this.mapError(error, 'create the repository', id);
      // Either it existed before (someone else's, or an existing dataset), or our own lost response was retried.
      let existing;
      try {
        existing = (await client.repos.get(this.repo(id))).data;
      } catch (lookup) {
        throw this.mapError(lookup, 'look up the repository', id);
      }
      if (!existing.description?.includes(nonce)) throw datasetAlreadyExists(id);
      return { defaultBranch: existing.default_branch };
    }
  }

  /** GitHub may answer 404 (or 409 before auto_init lands) for a moment right after creating a repository. */
  private async retryWhileFresh<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        const code = status(error);
        if ((code !== 404 && code !== 409) || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.config.retryBaseMs, 500) * attempt));
      }
    }
  }

  private async writeTagObject(client: GitHubClient, id: DatasetId, request: TagRequest): Promise<GitHubTagObject> {
    try {
      const { data } = await client.git.createTag({
        ...this.repo(id),
        tag: request.name,
        message: withGitNewline(request.description),
        object: request.target,
        type: 'commit',
        tagger: gitPerson(request.author, request.timestamp ?? this.clock()),
      });
      const tagObject = data as unknown as GitHubTagObject;
      this.tagObjects.set(this.commitKey(id, tagObject.sha), tagObject);
      return tagObject;
    } catch (error) {
      if (status(error) === 422) throw revisionNotFound(id, request.target);
      throw error;
    }
  }

  /** The object a tag ref points at (revalidated with a conditional request). */
  private async readTagRef(id: DatasetId, name: string): Promise<{ sha: string; type: string }> {
    if (!isGitRefName(name)) throw tagNotFound(id, name);
    try {
      const client = await this.clientFor(id.owner);
      const ref = await this.conditionalGet<{ object: { sha: string; type: string } }>(
        `ref:${formatDatasetId(id)}:tags/${name}`,
        async (headers) => {
          const response = await client.git.getRef({ ...this.repo(id), ref: `tags/${name}`, headers });
          return { data: response.data, etag: response.headers.etag };
        },
      );
      return ref.object;
    } catch (error) {
      if (status(error) === 404) throw tagNotFound(id, name);
      throw error;
    }
  }

  private async tagFromRef(id: DatasetId, name: string, object: { sha: string; type: string }): Promise<Tag> {
    if (object.type === 'commit') {
      // A lightweight tag (pushed by plain git): no message or tagger of its own.
      const { revision } = await this.commitInfo(id, object.sha);
      return { name, target: object.sha, description: '', author: revision.author, createdAt: revision.timestamp };
    }
    const cacheKey = this.commitKey(id, object.sha);
    let tagObject = this.tagObjects.get(cacheKey);
    if (!tagObject) {
      const client = await this.clientFor(id.owner);
      tagObject = (await client.git.getTag({ ...this.repo(id), tag_sha: object.sha })).data as unknown as GitHubTagObject;
      this.tagObjects.set(cacheKey, tagObject);
    }
    return this.toTag(name, tagObject);
  }

  private toTag(name: string, tagObject: GitHubTagObject): Tag {
    const author: Author = { name: tagObject.tagger.name, email: tagObject.tagger.email };
    return {
      name,
      target: tagObject.object.sha,
      description: tagObject.message,
      author,
      createdAt: new Date(tagObject.tagger.date).toISOString(),
    };
  }

  /** A commit's revision and tree, from the cache or one request. */
  private async commitInfo(id: DatasetId, sha: string): Promise<CommitInfo> {
    const cached = this.commits.get(this.commitKey(id, sha));
    if (cached) return cached;
    try {
      const client = await this.clientFor(id.owner);
      const commit = await this.conditionalGet<GitHubCommit>(`commit:${formatDatasetId(id)}:${sha}`, async (headers) => {
        const response = await client.repos.getCommit({ ...this.repo(id), ref: sha, headers });
        return { data: response.data as unknown as GitHubCommit, etag: response.headers.etag };
      });
      const info = toRevision(commit);
      this.rememberCommit(id, info);
      return info;
    } catch (error) {
      const code = status(error);
      if (code === 422) throw revisionNotFound(id, sha);
      if (code === 409) throw datasetNotFound(id);
      throw this.mapError(error, `read revision ${sha}`, id);
    }
  }

  /**
   * Why GitHub refused (422) to create tag `name`: "Reference already exists" for the tag itself; its generic
   * "Reference update failed" when a tag above or below it is in the way (git's directory/file conflict), then named.
   */
  private async tagCreationRefusal(id: DatasetId, name: string, error: unknown): Promise<DomainError> {
    if (!isOctokitFailure(error) || !/already exists/i.test(upstreamMessage(error))) {
      const tags = (await this.listTagRefs(id)).map((ref) => ref.ref.replace(/^refs\/tags\//, ''));
      const conflicting = conflictingTagName(name, tags);
      if (conflicting !== undefined) return tagNameConflict(id, name, conflicting);
    }
    return tagAlreadyExists(id, name);
  }

  /** Every tag ref; the first page is revalidated with a conditional request (free when no tag changed). */
  private async listTagRefs(id: DatasetId): Promise<{ ref: string; object: { sha: string; type: string } }[]> {
    type TagRef = { ref: string; object: { sha: string; type: string } };
    const client = await this.clientFor(id.owner);
    const first = await this.conditionalGet<TagRef[]>(`tags:${formatDatasetId(id)}`, async (headers) => {
      const response = await client.git.listMatchingRefs({ ...this.repo(id), ref: 'tags/', per_page: PAGE_SIZE, headers });
      return { data: response.data, etag: response.headers.etag };
    });
    if (first.length < PAGE_SIZE) return first;
    const rest: TagRef[] = [];
    for (let page = 2; ; page += 1) {
      const { data } = await client.git.listMatchingRefs({ ...this.repo(id), ref: 'tags/', per_page: PAGE_SIZE, page });
      rest.push(...data);
      if (data.length < PAGE_SIZE) return [...first, ...rest];
    }
  }

  /** A GET revalidated with If-None-Match; a 304 (free on GitHub) returns the cached value. */
  private async conditionalGet<T>(
    cacheKey: string,
    request: (headers: Record<string, string>) => Promise<{ data: T; etag: string | undefined }>,
  ): Promise<T> {
    const cached = this.conditional.get(cacheKey);
    try {
      const response = await request(cached ? { 'if-none-match': cached.etag } : {});
      if (response.etag) this.conditional.set(cacheKey, { etag: response.etag, value: response.data });
      return response.data;
    } catch (error) {
      if (cached && status(error) === 304) return cached.value as T;
      throw error;
    }
  }

  /** After a commit, the new revision's files are known: changed ones from the request, the rest from the parent's cache. */
  private carryFilesForward(id: DatasetId, request: CommitRequest, sha: string): void {
    const changed = new Set(request.changes.map((change) => change.path));
    for (const change of request.changes) {
      this.files.set(this.fileKey(id, sha, change.path), 'delete' in change ? { absent: true } : change.content);
    }
    const parentPrefix = `${formatDatasetId(id)}@${request.parent}:`;
    for (const [cacheKey, value] of this.files.entries()) {
      if (!cacheKey.startsWith(parentPrefix)) continue;
      const path = cacheKey.slice(parentPrefix.length);
      if (!changed.has(path)) this.files.set(this.fileKey(id, sha, path), value);
    }
  }

  private rememberCommit(id: DatasetId, info: CommitInfo): void {
    this.commits.set(this.commitKey(id, info.revision.sha), info);
  }

  private forget(id: DatasetId): void {
    const prefixes = [
      `${formatDatasetId(id)}@`,
      `commit:${formatDatasetId(id)}:`,
      `ref:${formatDatasetId(id)}:`,
      `tags:${formatDatasetId(id)}`,
    ];
    for (const cache of [this.files, this.commits, this.tagObjects, this.conditional] as LRUCache<string, object | string>[]) {
      for (const cacheKey of cache.keys()) if (prefixes.some((prefix) => cacheKey.startsWith(prefix))) cache.delete(cacheKey);
    }
  }

  private repo(id: DatasetId): { owner: string; repo: string } {
    return { owner: id.owner, repo: id.name };
  }

  private fileKey(id: DatasetId, sha: string, path: string): string {
    return `${formatDatasetId(id)}@${sha}:${path}`;
  }

  private commitKey(id: DatasetId, sha: string): string {
    return `${formatDatasetId(id)}@${sha}`;
  }

  /** Domain errors pass through; 404 is an unknown dataset; anything else is STORAGE_UNAVAILABLE with a redacted cause. */
  private mapError(error: unknown, what: string, id?: DatasetId): DomainError {
    if (error instanceof DomainError) return error;
    if (id && status(error) === 404) return datasetNotFound(id);
    return storageUnavailable(what, error, this.clock());
  }
}
