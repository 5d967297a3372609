import { createHash } from 'node:crypto';
import { RevisionConflictError } from '@metastore/errors';
import {
  datasetAlreadyExists,
  datasetNotFound,
  formatDatasetId,
  refNotFound,
  revisionNotFound,
  tagAlreadyExists,
  tagNameConflict,
  tagNotFound,
} from '../lib/storage.errors';
import type { DatasetStorage } from '../lib/dataset-storage.port';
import { conflictingTagName, isFullSha, validateAuthor } from '../lib/git-names';
import type {
  CommitRequest,
  CreateDatasetRequest,
  DatasetId,
  DeleteDatasetOptions,
  Page,
  PageRequest,
  Revision,
  Tag,
  TagRequest,
} from '../lib/storage.model';

interface StoredCommit {
  readonly revision: Revision;
  readonly files: ReadonlyMap<string, string>;
}

interface StoredDataset {
  head: string;
  readonly commits: Map<string, StoredCommit>;
  readonly tags: Map<string, Tag>;
}

/** A DatasetStorage held in memory, for fast tests of domain services; it passes the same contract suite. */
export class InMemoryDatasetStorage implements DatasetStorage {
  readonly backend = 'memory';
  private readonly datasets = new Map<string, StoredDataset>();
  private sequence = 0;
  /** Every call made, by method name: lets tests assert how much storage work an operation costs. */
  readonly calls = new Map<string, number>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  locationOf(id: DatasetId): string {
    return `memory:${formatDatasetId(id)}`;
  }

  async checkReady(): Promise<void> {
    this.count('checkReady');
  }

  async createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision> {
    this.count('createDataset');
    if (this.datasets.has(formatDatasetId(id))) throw datasetAlreadyExists(id);
    const commit = this.makeCommit(undefined, new Map(request.files.map((file) => [file.path, file.content])), request);
    this.datasets.set(formatDatasetId(id), {
      head: commit.revision.sha,
      commits: new Map([[commit.revision.sha, commit]]),
      tags: new Map(),
    });
    return commit.revision;
  }

  async deleteDataset(id: DatasetId, options: DeleteDatasetOptions = {}): Promise<void> {
    this.count('deleteDataset');
    const dataset = this.require(id);
    if (options.expectedHead !== undefined && dataset.head !== options.expectedHead)
      throw new RevisionConflictError(options.expectedHead, dataset.head);
    this.datasets.delete(formatDatasetId(id));
  }

  async listOwners(): Promise<string[]> {
    this.count('listOwners');
    return [...new Set([...this.datasets.keys()].map((name) => name.slice(0, name.indexOf('/'))))].sort();
  }

  async listDatasets(owner: string, page: PageRequest): Promise<Page<string>> {
    this.count('listDatasets');
    const names = [...this.datasets.keys()]
      .filter((name) => name.startsWith(`${owner}/`))
      .map((name) => name.slice(owner.length + 1))
      .sort()
      .filter((name) => page.cursor === undefined || name > page.cursor);
    return cut(names, page.limit, (name) => name);
  }

  async resolveRef(id: DatasetId, ref?: string): Promise<string> {
    this.count('resolveRef');
    const dataset = this.require(id);
    if (ref === undefined || ref === 'main') return dataset.head;
    const tag = dataset.tags.get(ref);
    if (tag) return tag.target;
    const sha = this.expand(dataset, ref);
    if (sha) return sha;
    throw refNotFound(id, ref);
  }

  async readFile(id: DatasetId, sha: string, path: string): Promise<string | undefined> {
    this.count('readFile');
    return this.commitOf(id, sha).files.get(path);
  }

  async commit(id: DatasetId, request: CommitRequest): Promise<Revision> {
    this.count('commit');
    const dataset = this.require(id);
    if (dataset.head !== request.parent) throw new RevisionConflictError(request.parent, dataset.head);
    const files = new Map(dataset.commits.get(dataset.head)!.files);
    for (const change of request.changes) {
      if ('delete' in change) files.delete(change.path);
      else files.set(change.path, change.content);
    }
    const commit = this.makeCommit(dataset.head, files, request);
    dataset.commits.set(commit.revision.sha, commit);
    dataset.head = commit.revision.sha;
    return commit.revision;
  }

  async listRevisions(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>> {
    this.count('listRevisions');
    const dataset = this.require(id);
    let sha: string | undefined = page.cursor ?? (await this.resolveRef(id, page.ref));
    if (!dataset.commits.has(sha)) throw refNotFound(id, sha);
    const revisions: Revision[] = [];
    while (sha && revisions.length <= page.limit) {
      const revision: Revision = dataset.commits.get(sha)!.revision;
      revisions.push(revision);
      sha = revision.parents[0];
    }
    if (revisions.length <= page.limit) return { items: revisions };
    return { items: revisions.slice(0, page.limit), nextCursor: revisions[page.limit]!.sha };
  }

  async getRevision(id: DatasetId, sha: string): Promise<Revision> {
    this.count('getRevision');
    const dataset = this.require(id);
    const full = this.expand(dataset, sha);
    if (!full) throw revisionNotFound(id, sha);
    return dataset.commits.get(full)!.revision;
  }

  async createTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    this.count('createTag');
    const dataset = this.require(id);
    if (dataset.tags.has(request.name)) throw tagAlreadyExists(id, request.name);
    const conflicting = conflictingTagName(request.name, dataset.tags.keys());
    if (conflicting !== undefined) throw tagNameConflict(id, request.name, conflicting);
    return this.putTag(id, dataset, request);
  }

  async replaceTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    this.count('replaceTag');
    const dataset = this.require(id);
    if (!dataset.tags.has(request.name)) throw tagNotFound(id, request.name);
    return this.putTag(id, dataset, request);
  }

  async getTag(id: DatasetId, name: string): Promise<Tag> {
    this.count('getTag');
    const tag = this.require(id).tags.get(name);
    if (!tag) throw tagNotFound(id, name);
    return tag;
  }

  async listTags(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    this.count('listTags');
    const tags = [...this.require(id).tags.values()]
      .sort((left, right) => (left.name < right.name ? -1 : 1))
      .filter((tag) => page.cursor === undefined || tag.name > page.cursor);
    return cut(tags, page.limit, (tag) => tag.name);
  }

  async deleteTag(id: DatasetId, name: string): Promise<void> {
    this.count('deleteTag');
    const dataset = this.require(id);
    if (!dataset.tags.delete(name)) throw tagNotFound(id, name);
  }

  private putTag(id: DatasetId, dataset: StoredDataset, request: TagRequest): Tag {
    validateAuthor(request.author);
    if (!dataset.commits.has(request.target)) throw revisionNotFound(id, request.target);
    const tag: Tag = {
      name: request.name,
      target: request.target,
      description: request.description,
      author: request.author,
      createdAt: new Date(Math.floor((request.timestamp ?? this.clock()).getTime() / 1000) * 1000).toISOString(),
    };
    dataset.tags.set(request.name, tag);
    return tag;
  }

  private makeCommit(
    parent: string | undefined,
    files: Map<string, string>,
    request: { message: string; author: Revision['author']; timestamp?: Date },
  ): StoredCommit {
    validateAuthor(request.author);
    this.sequence += 1;
    const timestamp = new Date(Math.floor((request.timestamp ?? this.clock()).getTime() / 1000) * 1000).toISOString();
    const sha = createHash('sha1')
      .update(JSON.stringify([parent, [...files], request.message, request.author, timestamp, this.sequence]))
      .digest('hex');
    return { revision: { sha, parents: parent ? [parent] : [], message: request.message, author: request.author, timestamp }, files };
  }

  private expand(dataset: StoredDataset, sha: string): string | undefined {
    if (isFullSha(sha)) return dataset.commits.has(sha) ? sha : undefined;
    if (!/^[0-9a-f]{4,39}$/.test(sha)) return undefined;
    const matches = [...dataset.commits.keys()].filter((candidate) => candidate.startsWith(sha));
    return matches.length === 1 ? matches[0] : undefined;
  }

  private commitOf(id: DatasetId, sha: string): StoredCommit {
    const commit = this.require(id).commits.get(sha);
    if (!commit) throw revisionNotFound(id, sha);
    return commit;
  }

  private require(id: DatasetId): StoredDataset {
    const dataset = this.datasets.get(formatDatasetId(id));
    if (!dataset) throw datasetNotFound(id);
    return dataset;
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}

function cut<T>(items: readonly T[], limit: number, keyOf: (item: T) => string): Page<T> {
  if (items.length <= limit) return { items };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: keyOf(page[page.length - 1]!) };
}
