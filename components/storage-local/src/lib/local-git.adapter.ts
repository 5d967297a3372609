import { constants, existsSync, statSync } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import { LRUCache } from 'lru-cache';
import { DomainError, RevisionConflictError, StorageUnavailableError } from '@metastore/errors';
import {
  datasetAlreadyExists,
  datasetNotFound,
  findConflictingTagName,
  formatDatasetId,
  isFullSha,
  isGitRefName,
  KeyedLock,
  refNotFound,
  revisionNotFound,
  tagAlreadyExists,
  tagNameConflict,
  tagNotFound,
  validateAuthor,
  type Author,
  type CommitRequest,
  type CreateDatasetRequest,
  type DatasetId,
  type DatasetStorage,
  type DeleteDatasetOptions,
  type Page,
  type PageRequest,
  type Revision,
  type Tag,
  type TagRequest,
} from '@metastore/storage';
import { makeDirectoryDurably, nonce, syncDirectory, syncTree } from '@metastore/durable-files';
import { CorruptObjectError, CrashSafeGitFs, isSyncedObjectFile } from './crash-safe-git-fs';
import type { GitContext } from './git-context';
import { writeChangedTree } from './git-tree';
import type { LocalGitStorageConfig } from './local-git.config';
import { acquireLock, compareAndSwapRef, deleteRef, RefLockedError, type HeldLock } from './ref-lock';
import { listRefNames, LooseRefReader, NO_LOOSE_REF, PackedRefsReader } from './ref-reader';

const SHORT_SHA = /^[0-9a-f]{4,39}$/;
/** A staged create or delete older than this was abandoned by a killed process (a live one takes seconds at most). */
const ABANDONED_STAGING_MS = 10 * 60_000;

type GitPerson = { name: string; email: string; timestamp: number; timezoneOffset: number };

/** The identity git writes into a commit or tag header; one that would corrupt the header is refused (VALIDATION_FAILED). */
function toGitPerson(author: Author, at: Date): GitPerson {
  validateAuthor(author);
  return { name: author.name, email: author.email, timestamp: Math.floor(at.getTime() / 1000), timezoneOffset: 0 };
}

function toIsoTime(person: { timestamp: number }): string {
  return new Date(person.timestamp * 1000).toISOString();
}

/**
 * git messages end with a newline (isomorphic-git adds it to tags itself); add one to commits on write and take one off on read, so text
 * round-trips.
 */
function withTrailingNewline(message: string): string {
  return `${message}\n`;
}
function withoutTrailingNewline(message: string): string {
  return message.endsWith('\n') ? message.slice(0, -1) : message;
}

function isGitNotFound(error: unknown): boolean {
  return (error as { code?: string })?.code === 'NotFoundError';
}

/** Parses a raw annotated tag object (headers, a blank line, the message); isomorphic-git mis-reads empty messages. */
function parseTagObject(name: string, raw: string): Tag {
  const split = raw.indexOf('\n\n');
  const headerText = split === -1 ? raw : raw.slice(0, split);
  const message = split === -1 ? '' : raw.slice(split + 2);
  const headers = new Map<string, string>();
  for (const line of headerText.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && !headers.has(line.slice(0, space))) headers.set(line.slice(0, space), line.slice(space + 1));
  }
  const tagger = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(headers.get('tagger') ?? '');
  return {
    name,
    target: headers.get('object') ?? '',
    description: withoutTrailingNewline(message.replace(/-----BEGIN (PGP|SSH) SIGNATURE-----[\s\S]*$/, '')),
    author: { name: tagger?.[1] ?? '', email: tagger?.[2] ?? '' },
    createdAt: new Date(Number(tagger?.[3] ?? 0) * 1000).toISOString(),
  };
}

/**
 * The embedded default storage: one bare git repository per dataset under
 * `<dataDir>/repositories/<owner>/<name>.git`, written with isomorphic-git and cloneable with `git clone`.
 * Writers in one process are serialised per dataset; across processes, ref updates use git's lock files.
 * Crash-safe: objects and refs are written to temporary files, fsynced and renamed into place; a lock
 * left by a killed writer is broken (see ref-lock.ts); an empty or corrupt object is rewritten, never trusted.
 */
export class LocalGitStorage implements DatasetStorage {
  readonly backend = 'local';
  private readonly repositoriesDir: string;
  private readonly stagingDir: string;
  /** The staging directory rid of what killed processes abandoned there: once per instance, at first use. */
  private abandonedStagingRemoved: Promise<void> | undefined;
  private readonly lock = new KeyedLock();
  private readonly gitCache = {};
  private readonly gitFs = new CrashSafeGitFs();
  /** Immutable content by `<dataset>@<sha>:<path>`; `{ absent: true }` records a file known to be absent. */
  private readonly files: LRUCache<string, string | { absent: true }>;
  /** Commit shas known to exist in a dataset, by `<dataset>@<sha>`. */
  private readonly knownCommits: LRUCache<string, true>;
  private readonly headRef: string;
  private readonly refs: LooseRefReader;
  private readonly packedRefs = new PackedRefsReader();
  /** Commit shas of annotated tag objects (immutable), by `<dataset>@<tag object sha>`. */
  private readonly peeled: LRUCache<string, string>;
  /** Parsed commits (immutable), by `<dataset>@<sha>`. */
  private readonly revisions: LRUCache<string, Revision>;
  /**
   * What a tag ref's object says (immutable: an object's content is its oid), by `<dataset>@<oid>`: the parsed annotated
   * tag peeled to its commit, or a lightweight tag's commit; the name comes from the ref. A listing reads refs, not objects.
   */
  private readonly tagObjects: LRUCache<string, Omit<Tag, 'name'>>;

  constructor(
    private readonly config: LocalGitStorageConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.repositoriesDir = path.join(config.dataDir, 'repositories');
    this.stagingDir = path.join(config.dataDir, '.staging');
    this.headRef = `refs/heads/${config.defaultBranch}`;
    const max = Math.max(1, config.cacheEntries);
    this.files = new LRUCache({ max });
    this.knownCommits = new LRUCache({ max });
    this.refs = new LooseRefReader(max);
    this.peeled = new LRUCache({ max });
    this.revisions = new LRUCache({ max });
    this.tagObjects = new LRUCache({ max });
  }

  /** The bare repository's path for a dataset (for `git clone` and for tests). */
  repositoryPath(id: DatasetId): string {
    return path.join(this.repositoriesDir, id.owner, `${id.name}.git`);
  }

  /** `repositories/<owner>/<name>.git`, relative to the data directory: events and listings never show where that is on the server. */
  locationOf(id: DatasetId): string {
    return `repositories/${id.owner}/${id.name}.git`;
  }

  async checkReady(): Promise<void> {
    try {
      await mkdir(this.repositoriesDir, { recursive: true });
      await access(this.repositoriesDir, constants.W_OK);
    } catch (error) {
      throw new StorageUnavailableError(`data directory ${this.config.dataDir} is not writable`, { cause: error });
    }
  }

  async createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision> {
    return this.guard(id, () =>
      this.lock.run(formatDatasetId(id), async () => {
        const target = this.repositoryPath(id);
        if (await exists(target)) throw datasetAlreadyExists(id);
        // Build the repository aside and rename it into place: a failure leaves nothing half-created.
        await this.prepareStaging();
        const staging = await mkdtemp(path.join(this.stagingDir, 'create-'));
        try {
          const context = this.context(staging);
          await git.init({ ...context, bare: true, defaultBranch: this.config.defaultBranch });
          const revision = await this.writeCommit(context, undefined, request.files, request.message, request.author, request.timestamp);
          // Nobody sees the staged repository: its ref is written in place and synced with the rest below.
          await writeFile(path.join(staging, this.headRef), `${revision.sha}\n`);
          // Everything the new repository holds is on disk before it appears under its name, each file and directory
          // synced once: the loose objects were as they were written, the rest (and every directory) is here.
          this.gitFs.forgetWrittenObjects(staging);
          await syncTree(staging, { alreadySynced: isSyncedObjectFile });
          await makeDirectoryDurably(path.dirname(target));
          try {
            await rename(staging, target);
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'ENOTEMPTY' || code === 'EEXIST') throw datasetAlreadyExists(id);
            throw error;
          }
          await syncDirectory(path.dirname(target));
          this.rememberCommit(id, revision.sha);
          this.revisions.set(`${formatDatasetId(id)}@${revision.sha}`, revision);
          return revision;
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      }),
    );
  }

  async deleteDataset(id: DatasetId, options: DeleteDatasetOptions = {}): Promise<void> {
    return this.guard(id, () =>
      this.lock.run(formatDatasetId(id), async () => {
        await this.requireDataset(id);
        await this.prepareStaging();
        const branchLock = options.expectedHead === undefined ? undefined : await this.lockExpectedHead(id, options.expectedHead);
        // Rename first so that readers never see a half-deleted repository.
        const trash = path.join(this.stagingDir, `delete-${process.pid}-${nonce()}`);
        await rename(this.repositoryPath(id), trash).catch(async (error: unknown) => {
          await branchLock?.release();
          throw error;
        });
        await syncDirectory(path.dirname(this.repositoryPath(id)));
        await rm(trash, { recursive: true, force: true });
        const prefix = `${formatDatasetId(id)}@`;
        for (const cache of [this.files, this.knownCommits, this.peeled, this.revisions]) {
          for (const cacheKey of cache.keys()) if (cacheKey.startsWith(prefix)) cache.delete(cacheKey);
        }
      }),
    );
  }

  /**
   * Takes git's lock on the branch (`<ref>.lock`, as `git push` does) and checks the head under it, so that no push
   * lands between the check and the deletion; returns the lock, which goes away with the repository. The lock
   * records its owner like every other (ref-lock.ts), so one left by a delete that was killed is broken.
   */
  private async lockExpectedHead(id: DatasetId, expectedHead: string): Promise<HeldLock> {
    const context = this.context(this.repositoryPath(id));
    const refPath = path.join(context.gitdir, this.headRef);
    let lock: HeldLock;
    try {
      lock = await acquireLock(context.gitdir, refPath);
    } catch (error) {
      if (error instanceof RefLockedError) throw new RevisionConflictError(expectedHead, undefined, { cause: error });
      throw error;
    }
    const head = await this.readHead(context);
    if (head === expectedHead) return lock;
    await lock.release();
    throw new RevisionConflictError(expectedHead, head);
  }

  /** Every directory under the repositories directory (an owner whose datasets were all deleted may stay listed, empty). */
  async listOwners(): Promise<string[]> {
    try {
      const entries = await readdir(this.repositoriesDir, { withFileTypes: true });
      return entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StorageUnavailableError('cannot list the owners of the data directory', { cause: error });
    }
  }

  async listDatasets(owner: string, page: PageRequest): Promise<Page<string>> {
    let names: string[];
    try {
      const entries = await readdir(path.join(this.repositoriesDir, owner), { withFileTypes: true });
      names = entries
        .filter((entry) => entry.isDirectory() && entry.name.endsWith('.git'))
        .map((entry) => entry.name.slice(0, -'.git'.length))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { items: [] };
      throw new StorageUnavailableError(`cannot list datasets of ${owner}`, { cause: error });
    }
    const start = page.cursor ? names.findIndex((name) => name > page.cursor!) : 0;
    return paginate(start === -1 ? [] : names.slice(start), page.limit, (name) => name);
  }

  async resolveRef(id: DatasetId, ref?: string): Promise<string> {
    return this.guard(id, async () => {
      const context = this.context(this.repositoryPath(id));
      if (ref === undefined) {
        const head = await this.readHead(context);
        if (head) return head;
        await this.requireDataset(id);
        throw refNotFound(id, this.config.defaultBranch);
      }
      await this.requireDataset(id);
      if (isFullSha(ref)) {
        if (await this.isCommit(id, context, ref)) return ref;
        throw refNotFound(id, ref);
      }
      if (isGitRefName(ref)) {
        for (const candidate of [`refs/tags/${ref}`, `refs/heads/${ref}`]) {
          const oid = await this.readRef(context, candidate);
          if (oid) return this.peel(id, context, oid);
        }
      }
      if (SHORT_SHA.test(ref)) {
        const sha = await this.expandSha(context, ref);
        if (sha && (await this.isCommit(id, context, sha))) return sha;
      }
      throw refNotFound(id, ref);
    });
  }

  /**
   * What `resolveRef` would answer, when it is known from memory and one stat: the head or a tag whose loose ref file
   * is unchanged since it was read (and older than the racy window), peeled by the cache; a full sha known to be a
   * commit of the dataset, its repository still there. Undefined whenever `resolveRef` must look (never an error).
   */
  peekRef(id: DatasetId, ref?: string): string | undefined {
    const gitdir = this.repositoryPath(id);
    if (ref === undefined) return this.refs.peek(gitdir, this.headRef);
    const prefix = `${formatDatasetId(id)}@`;
    if (isFullSha(ref)) return this.knownCommits.has(prefix + ref) && existsSync(gitdir) ? ref : undefined;
    if (!isGitRefName(ref)) return undefined;
    const oid = this.refs.peek(gitdir, `refs/tags/${ref}`);
    if (oid === undefined) return undefined;
    return this.knownCommits.has(prefix + oid) ? oid : this.peeled.get(prefix + oid);
  }

  /** The commit an object names: itself for a commit, the (cached) target for an annotated tag. */
  private async peel(id: DatasetId, context: GitContext, oid: string): Promise<string> {
    if (this.knownCommits.has(`${formatDatasetId(id)}@${oid}`)) return oid;
    const cacheKey = `${formatDatasetId(id)}@${oid}`;
    const cached = this.peeled.get(cacheKey);
    if (cached) return cached;
    const commit = (await git.readCommit({ ...context, oid })).oid;
    if (commit === oid) this.rememberCommit(id, oid);
    else this.peeled.set(cacheKey, commit);
    return commit;
  }

  async readFile(id: DatasetId, sha: string, filePath: string): Promise<string | undefined> {
    const cacheKey = `${formatDatasetId(id)}@${sha}:${filePath}`;
    const cached = this.files.get(cacheKey);
    if (cached !== undefined) return typeof cached === 'string' ? cached : undefined;
    return this.guard(id, async () => {
      await this.requireDataset(id);
      const context = this.context(this.repositoryPath(id));
      let content: string | undefined;
      try {
        const { blob } = await git.readBlob({ ...context, oid: sha, filepath: filePath });
        content = Buffer.from(blob).toString('utf8');
      } catch (error) {
        if (!isGitNotFound(error)) throw error;
        if (!(await this.isCommit(id, context, sha))) throw revisionNotFound(id, sha);
      }
      this.files.set(cacheKey, content ?? { absent: true });
      return content;
    });
  }

  async commit(id: DatasetId, request: CommitRequest): Promise<Revision> {
    return this.guard(id, () =>
      this.lock.run(formatDatasetId(id), async () => {
        await this.requireDataset(id);
        const gitdir = this.repositoryPath(id);
        const context = this.context(gitdir);
        const head = await this.readHead(context);
        if (head !== request.parent) throw new RevisionConflictError(request.parent, head);
        const revision = await this.writeCommit(context, head, request.changes, request.message, request.author, request.timestamp);
        // Objects written above are unreachable until this swap succeeds: a failed write leaves no commit.
        await this.gitFs.syncWrittenObjects(gitdir);
        let swapped: boolean;
        try {
          swapped = await compareAndSwapRef(gitdir, this.headRef, head, revision.sha, () => this.readHead(context));
        } catch (error) {
          if (error instanceof RefLockedError) throw new RevisionConflictError(request.parent, head, { cause: error });
          throw error;
        }
        if (!swapped) throw new RevisionConflictError(request.parent, await this.readHead(context));
        this.rememberCommit(id, revision.sha);
        this.revisions.set(`${formatDatasetId(id)}@${revision.sha}`, revision);
        return revision;
      }),
    );
  }

  async listRevisions(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>> {
    return this.guard(id, async () => {
      let start: string;
      if (page.cursor === undefined) {
        start = await this.resolveRef(id, page.ref);
      } else {
        await this.requireDataset(id);
        if (!isFullSha(page.cursor)) throw refNotFound(id, page.cursor);
        start = page.cursor;
      }
      const context = this.context(this.repositoryPath(id));
      if (!(await this.isCommit(id, context, start))) throw refNotFound(id, start);
      // First-parent history (git log --first-parent): Metastore's own histories are linear.
      const revisions: Revision[] = [];
      let sha: string | undefined = start;
      while (sha !== undefined && revisions.length <= page.limit) {
        const revision: Revision = await this.readRevision(id, context, sha);
        revisions.push(revision);
        sha = revision.parents[0];
      }
      return paginate(revisions, page.limit, (revision) => revision.sha, true);
    });
  }

  async getRevision(id: DatasetId, sha: string): Promise<Revision> {
    return this.guard(id, async () => {
      await this.requireDataset(id);
      const context = this.context(this.repositoryPath(id));
      const full = isFullSha(sha) ? sha : SHORT_SHA.test(sha) ? await this.expandSha(context, sha) : undefined;
      if (!full || !(await this.isCommit(id, context, full))) throw revisionNotFound(id, sha);
      return this.readRevision(id, context, full);
    });
  }

  async createTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    return this.guard(id, () => this.lock.run(formatDatasetId(id), () => this.writeTag(id, request, 'create')));
  }

  async replaceTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    return this.guard(id, () => this.lock.run(formatDatasetId(id), () => this.writeTag(id, request, 'replace')));
  }

  async getTag(id: DatasetId, name: string): Promise<Tag> {
    return this.guard(id, async () => {
      await this.requireDataset(id);
      return this.readTag(id, this.context(this.repositoryPath(id)), name);
    });
  }

  async listTags(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    return this.guard(id, async () => {
      await this.requireDataset(id);
      const context = this.context(this.repositoryPath(id));
      const names = await listRefNames(context.gitdir, 'refs/tags', this.packedRefs);
      const start = page.cursor ? names.findIndex((name) => name > page.cursor!) : 0;
      const selected = (start === -1 ? [] : names.slice(start)).slice(0, page.limit + 1);
      const tags = await Promise.all(selected.map((name) => this.readTagIfPresent(id, context, name)));
      return paginate(
        tags.filter((tag): tag is Tag => tag !== undefined),
        page.limit,
        (tag) => tag.name,
      );
    });
  }

  async deleteTag(id: DatasetId, name: string): Promise<void> {
    return this.guard(id, () =>
      this.lock.run(formatDatasetId(id), async () => {
        await this.requireDataset(id);
        const gitdir = this.repositoryPath(id);
        const context = this.context(gitdir);
        await this.readTag(id, context, name);
        const ref = `refs/tags/${name}`;
        const current = await this.readRef(context, ref);
        let deleted: boolean;
        try {
          deleted = current !== undefined && (await deleteRef(gitdir, ref, current, () => this.readRef(context, ref)));
        } catch (error) {
          if (error instanceof RefLockedError) throw new RevisionConflictError(current ?? 'none', undefined, { cause: error });
          throw error;
        }
        if (!deleted) throw new RevisionConflictError(current ?? 'none', await this.readRef(context, ref));
      }),
    );
  }

  private async writeTag(id: DatasetId, request: TagRequest, mode: 'create' | 'replace'): Promise<Tag> {
    await this.requireDataset(id);
    const gitdir = this.repositoryPath(id);
    const context = this.context(gitdir);
    if (!isGitRefName(request.name)) throw tagNotFound(id, request.name);
    const ref = `refs/tags/${request.name}`;
    const current = await this.readRef(context, ref);
    if (mode === 'create' && current) {
      throw tagAlreadyExists(id, request.name);
    }
    if (mode === 'create') await this.refuseConflictingTag(id, context, request.name);
    if (mode === 'replace' && !current) throw tagNotFound(id, request.name);
    if (!(await this.isCommit(id, context, request.target))) throw revisionNotFound(id, request.target);
    const tagger = toGitPerson(request.author, request.timestamp ?? this.clock());
    const oid = await git.writeTag({
      ...context,
      tag: { object: request.target, type: 'commit', tag: request.name, tagger, message: request.description },
    });
    await this.gitFs.syncWrittenObjects(gitdir);
    let swapped: boolean;
    try {
      swapped = await compareAndSwapRef(gitdir, ref, current, oid, () => this.readRef(context, ref));
    } catch (error) {
      if (error instanceof RefLockedError) throw new RevisionConflictError(current ?? 'none', undefined, { cause: error });
      // Another process made a conflicting tag since the check above: git's directory/file conflict.
      if (mode === 'create' && isDirectoryFileConflict(error)) await this.refuseConflictingTag(id, context, request.name);
      throw error;
    }
    if (!swapped) throw new RevisionConflictError(current ?? 'none', await this.readRef(context, ref));
    return this.readTag(id, context, request.name);
  }

  /** Refuses tag `name` when a tag above it (`x` for `x/y`) or below it (`x/y` for `x`) exists: git keeps tags as paths. */
  private async refuseConflictingTag(id: DatasetId, context: GitContext, name: string): Promise<void> {
    // @metastore/storage's rule, with a read per tag above and one listing below instead of every tag.
    const conflicting = await findConflictingTagName(name, {
      exists: async (tag) => (await this.readRef(context, `refs/tags/${tag}`)) !== undefined,
      firstUnder: async (prefix) => {
        const [below] = await listRefNames(context.gitdir, `refs/tags/${prefix.slice(0, -1)}`, this.packedRefs);
        return below === undefined ? undefined : `${prefix}${below}`;
      },
    });
    if (conflicting !== undefined) throw tagNameConflict(id, name, conflicting);
  }

  /** A listed tag, or undefined when it was deleted since the listing. */
  private async readTagIfPresent(id: DatasetId, context: GitContext, name: string): Promise<Tag | undefined> {
    try {
      return await this.readTag(id, context, name);
    } catch (error) {
      if ((error as { code?: string }).code === 'TAG_NOT_FOUND') return undefined;
      throw error;
    }
  }

  private async readTag(id: DatasetId, context: GitContext, name: string): Promise<Tag> {
    if (!isGitRefName(name)) throw tagNotFound(id, name);
    const oid = await this.readRef(context, `refs/tags/${name}`);
    if (!oid) throw tagNotFound(id, name);
    return { name, ...(await this.readTagObject(id, context, oid)) };
  }

  /** What the object a tag ref names says, from the cache of immutable objects when possible. */
  private async readTagObject(id: DatasetId, context: GitContext, oid: string): Promise<Omit<Tag, 'name'>> {
    const cacheKey = `${formatDatasetId(id)}@${oid}`;
    const cached = this.tagObjects.get(cacheKey);
    if (cached) return cached;
    const { type, object } = await git.readObject({ ...context, oid, format: 'content' });
    let tag: Omit<Tag, 'name'>;
    if (type === 'commit') {
      // A lightweight tag (pushed by plain git): no message or tagger of its own.
      const { commit } = await git.readCommit({ ...context, oid });
      tag = { target: oid, description: '', author: toRevision(oid, commit).author, createdAt: toIsoTime(commit.committer) };
    } else {
      const { name: _name, ...parsed } = parseTagObject('', Buffer.from(object as Uint8Array).toString('utf8'));
      // Peel tags of tags down to the commit.
      tag = { ...parsed, target: (await git.readCommit({ ...context, oid })).oid };
    }
    this.tagObjects.set(cacheKey, tag);
    return tag;
  }

  private async writeCommit(
    context: GitContext,
    parent: string | undefined,
    changes: CommitRequest['changes'],
    message: string,
    author: Author,
    timestamp: Date | undefined,
  ): Promise<Revision> {
    const baseTree = parent ? (await git.readCommit({ ...context, oid: parent })).commit.tree : undefined;
    const tree = (await writeChangedTree(context, baseTree, changes)) ?? (await git.writeTree({ ...context, tree: [] }));
    const person = toGitPerson(author, timestamp ?? this.clock());
    const commit = { message: withTrailingNewline(message), tree, parent: parent ? [parent] : [], author: person, committer: person };
    const sha = await git.writeCommit({ ...context, commit });
    return toRevision(sha, commit);
  }

  /** One commit as a Revision, from the cache of immutable objects when possible. */
  private async readRevision(id: DatasetId, context: GitContext, sha: string): Promise<Revision> {
    const cacheKey = `${formatDatasetId(id)}@${sha}`;
    const cached = this.revisions.get(cacheKey);
    if (cached) return cached;
    const { commit } = await git.readCommit({ ...context, oid: sha });
    const revision = toRevision(sha, commit);
    this.revisions.set(cacheKey, revision);
    return revision;
  }

  private async readHead(context: GitContext): Promise<string | undefined> {
    return this.readRef(context, this.headRef);
  }

  private async readRef(context: GitContext, ref: string): Promise<string | undefined> {
    const loose = await this.refs.lookup(context.gitdir, ref);
    if (loose !== undefined && loose !== NO_LOOSE_REF) return loose;
    // No loose file: the packed ref, if any, as git reads it (a loose ref wins over a packed one).
    if (loose === NO_LOOSE_REF) return (await this.packedRefs.read(context.gitdir)).get(ref);
    try {
      return await git.resolveRef({ ...context, ref, depth: 1 });
    } catch (error) {
      if (isGitNotFound(error)) return undefined;
      throw error;
    }
  }

  private async isCommit(id: DatasetId, context: GitContext, sha: string): Promise<boolean> {
    if (this.knownCommits.has(`${formatDatasetId(id)}@${sha}`)) return true;
    try {
      const { type } = await git.readObject({ ...context, oid: sha, format: 'content' });
      if (type !== 'commit') return false;
    } catch (error) {
      if (isGitNotFound(error)) return false;
      throw error;
    }
    this.rememberCommit(id, sha);
    return true;
  }

  private async expandSha(context: GitContext, short: string): Promise<string | undefined> {
    try {
      return await git.expandOid({ ...context, oid: short });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NotFoundError' || code === 'AmbiguousError') return undefined;
      throw error;
    }
  }

  private rememberCommit(id: DatasetId, sha: string): void {
    this.knownCommits.set(`${formatDatasetId(id)}@${sha}`, true);
  }

  /** Makes sure the staging directory exists; removes what killed processes left there at the first create or delete only. */
  private async prepareStaging(): Promise<void> {
    await mkdir(this.stagingDir, { recursive: true });
    // A failed scan is not remembered: the next create or delete tries again.
    this.abandonedStagingRemoved ??= this.removeAbandonedStaging().catch((error: unknown) => {
      this.abandonedStagingRemoved = undefined;
      throw error;
    });
    await this.abandonedStagingRemoved;
  }

  /** Removes what killed creates and deletes left in the staging directory (nothing a live one still uses is that old). */
  private async removeAbandonedStaging(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.stagingDir)) {
      const entry = path.join(this.stagingDir, name);
      const info = await stat(entry).catch(() => undefined);
      if (info && now - info.mtimeMs > ABANDONED_STAGING_MS) await rm(entry, { recursive: true, force: true });
    }
  }

  private async requireDataset(id: DatasetId): Promise<void> {
    // Synchronous, like the ref reader's stats: one stat of a directory, cheaper than a thread-pool round trip.
    if (statSync(this.repositoryPath(id), { throwIfNoEntry: false }) === undefined) {
      throw datasetNotFound(id);
    }
  }

  private context(gitdir: string): GitContext {
    return { fs: this.gitFs.client, gitdir, cache: this.gitCache };
  }

  /** Lets domain errors through and wraps anything else (I/O, corrupt objects) as STORAGE_UNAVAILABLE. */
  private async guard<T>(id: DatasetId, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      // A corrupt object is named (its sha, never a path), so that an operator can find and repair it.
      const detail = error instanceof CorruptObjectError ? `: ${error.message}` : '';
      throw new StorageUnavailableError(`local git storage failed for ${formatDatasetId(id)}${detail}`, { cause: error });
    }
  }
}

/** A file system error of a path that is a directory where a file is wanted, or the other way round. */
function isDirectoryFileConflict(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENOTEMPTY';
}

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function toRevision(
  sha: string,
  commit: { message: string; parent: readonly string[]; author: { name: string; email: string; timestamp: number } },
): Revision {
  return {
    sha,
    parents: [...commit.parent],
    message: withoutTrailingNewline(commit.message),
    author: { name: commit.author.name, email: commit.author.email },
    timestamp: toIsoTime(commit.author),
  };
}

/** Cuts `items` (fetched with one extra) into a page; the cursor is the last returned item's key, or (`cursorIsNext`) the next item's. */
function paginate<T>(items: readonly T[], limit: number, keyOf: (item: T) => string, cursorIsNext = false): Page<T> {
  if (items.length <= limit) return { items };
  const page = items.slice(0, limit);
  const nextCursor = cursorIsNext ? keyOf(items[limit]!) : keyOf(page[page.length - 1]!);
  return { items: page, nextCursor };
}
