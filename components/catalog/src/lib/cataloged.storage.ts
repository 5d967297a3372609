import { LRUCache } from 'lru-cache';
import { DESCRIPTOR_PATH, formatDatasetId } from '@metastore/datasets';
import { NotFoundError, StorageUnavailableError } from '@metastore/errors';
import { eventFromChange, type DatasetChange, type EventBuilderOptions } from '@metastore/events';
import {
  isFullSha,
  KeyedLock,
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
import type { CatalogStore } from './catalog.port';
import { catalogEntryOf, isCacheable, parseDescriptor } from './catalog-entry';
import type { ChangeJournal, JournaledUpdate } from './change-journal.port';
import { DatasetReconciler, foundTagChange } from './dataset-reconciler';

/** Where the decorator reports a catalog it could not update or read (the write itself succeeded in git). */
export interface CatalogLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** How the decorator stamps events and whom it tells about recorded changes. */
export interface CatalogedStorageOptions {
  readonly events: EventBuilderOptions;
  /** Called after each change is recorded (the outbox relay's nudge). */
  readonly onRecorded?: () => void;
  readonly logger?: CatalogLogger;
  readonly clock?: () => Date;
  /**
   * Where a change the catalog cannot record waits, appended before the write is acknowledged (see `JournalDrainer`);
   * absent: such a change is logged and left to the sync worker, which finds it in git without what git does not keep.
   */
  readonly journal?: ChangeJournal;
  /** Called after a change was journaled (the drainer's nudge). */
  readonly onJournaled?: () => void;
}

/** What a catalog read answers when the catalog cannot say (it does not answer, or journaled changes wait). */
const BEHIND = Symbol('behind');
/** Revisions the API walks to catch up a dataset the catalog missed writes of; a longer gap is left to the sync worker. */
const CATCH_UP_REVISIONS = 100;
/**
 * Catch-up runs after a write while another writer keeps recording first (another replica writing the same dataset): each
 * compares afresh, so the write is announced now, not by the next sync. Past them, the sync worker announces it.
 */
const CATCH_UP_ATTEMPTS = 5;
/**
 * How long a tag the catalog answered is reused before it is asked again. A tag this process creates, moves or deletes
 * is forgotten at once; one changed by another process (another API replica, the sync worker) is seen within this bound.
 */
export const TAG_REUSE_MS = 1000;

/**
 * A `DatasetStorage` that keeps the catalog: after each write succeeds in git it records the
 * dataset's row, the new immutable objects and the change's event in one catalog transaction; reads
 * at a full sha or a tag are answered from the catalog without a storage call.
 *
 * The catalog is a cache of git: when recording fails (the database is down), the write still stands. With a journal,
 * the change (update, expectation and all) is appended to it before the write is acknowledged, and recorded from there
 * once the catalog answers again; while the journal holds entries, later changes queue behind them (in order) and tags
 * are read from storage, since the catalog is behind. Without one, the error is logged and the sync worker records the
 * change from git. Each record expects the catalog as the write found it (the parent as its head, the tag as it was):
 * when it is not (writes missed during an outage, another process's write), the dataset is caught up from storage
 * instead, one event per revision (`DatasetReconciler`), so that nothing is skipped and nothing announced twice.
 */
export class CatalogedStorage implements DatasetStorage {
  readonly backend: string;
  private readonly reconciler: DatasetReconciler;
  /** Writes to one dataset are recorded in the order they were committed. */
  private readonly writes = new KeyedLock();
  private readonly clock: () => Date;
  /** Descriptors just read from the catalog or recorded in it, by `owner/name@sha` (see `descriptorFromCatalog`). */
  private readonly recentDescriptors = new LRUCache<string, string>({
    max: 1000,
    maxSize: 32 * 1024 * 1024,
    sizeCalculation: (source) => Math.max(1, source.length),
    ttl: 10_000,
  });

  /** Tags the catalog answered, by `owner/name` and tag name, for TAG_REUSE_MS (see `catalogTag`). */
  private readonly recentTags: LRUCache<string, Tag>;
  /** Counts this process's tag changes: a catalog answer read across one is not kept (it may predate the change). */
  private tagChanges = 0;

  constructor(
    private readonly storage: DatasetStorage,
    private readonly catalog: CatalogStore,
    private readonly options: CatalogedStorageOptions,
  ) {
    this.backend = storage.backend;
    this.clock = options.clock ?? (() => new Date());
    // Aged on the decorator's clock, read each time (ttlResolution 0), so that a test's clock decides.
    this.recentTags = new LRUCache<string, Tag>({
      max: 10_000,
      ttl: TAG_REUSE_MS,
      ttlResolution: 0,
      perf: { now: () => this.clock().getTime() },
    });
    const logger = options.logger;
    this.reconciler = new DatasetReconciler(storage, catalog, {
      events: options.events,
      clock: this.clock,
      ...(logger ? { logger: { info: (object: object, message: string) => logger.warn(object, message) } } : {}),
    });
  }

  locationOf(id: DatasetId): string {
    return this.storage.locationOf(id);
  }

  checkReady(): Promise<void> {
    return this.storage.checkReady();
  }

  async createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision> {
    return this.tagWrite(id, async () => {
      const revision = await this.storage.createDataset(id, request);
      const source = request.files.find((file) => file.path === DESCRIPTOR_PATH)?.content;
      if (source !== undefined) {
        const time = new Date(revision.timestamp);
        const entry = catalogEntryOf({ id, backend: this.backend, location: this.locationOf(id), head: revision, createdAt: time, source });
        await this.record(
          {
            ...this.change('dataset.created', id, time),
            author: revision.author,
            message: revision.message,
            newRevision: revision.sha,
            descriptorSource: source,
          },
          { entry, descriptors: [{ revision: revision.sha, source }], replaceAllTags: [], expect: { head: null } },
        );
      }
      return revision;
    });
  }

  async commit(id: DatasetId, request: CommitRequest): Promise<Revision> {
    return this.writes.run(formatDatasetId(id), async () => {
      const revision = await this.storage.commit(id, request);
      await this.recordCommit(id, request, revision);
      return revision;
    });
  }

  async deleteDataset(id: DatasetId, options: DeleteDatasetOptions = {}): Promise<void> {
    const { author } = options;
    await this.tagWrite(id, async () => {
      const prior = await this.catalogState(() => this.catalog.getDataset(id), id);
      // Unknown to the catalog (down, or behind the journal): the change is journaled expecting the head git has now.
      const head =
        prior === BEHIND
          ? (options.expectedHead ?? (await this.storage.resolveRef(id)))
          : prior && !prior.deleted
            ? prior.headRevision
            : undefined;
      await this.storage.deleteDataset(id, options);
      for (const key of this.recentDescriptors.keys()) if (key.startsWith(`${formatDatasetId(id)}@`)) this.recentDescriptors.delete(key);
      const time = this.clock();
      await this.record(
        {
          ...this.change('dataset.deleted', id, time),
          ...(author ? { author } : {}),
          ...(head !== undefined ? { oldRevision: head } : {}),
        },
        { deletedAt: time, expect: { head: head ?? null } },
      );
    });
  }

  async createTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    return this.tagWrite(id, async () => {
      const tag = await this.storage.createTag(id, request);
      await this.record(
        { ...this.change('tag.created', id, new Date(tag.createdAt)), author: tag.author, newRevision: tag.target, tag },
        { upsertTags: [tag], expect: { tag: { name: tag.name, state: null } } },
      );
      return tag;
    });
  }

  async replaceTag(id: DatasetId, request: TagRequest): Promise<Tag> {
    return this.tagWrite(id, async () => {
      const { previous, missed } = await this.tagBefore(id, request.name);
      const tag = await this.storage.replaceTag(id, request);
      await this.record(
        {
          ...this.change('tag.updated', id, request.timestamp ?? this.clock()),
          author: request.author,
          oldRevision: previous.target,
          newRevision: tag.target,
          tag,
          previousTag: previous,
        },
        { upsertTags: [tag], expect: { tag: { name: tag.name, state: missed ? null : previous } } },
        { missed },
      );
      return tag;
    });
  }

  async deleteTag(id: DatasetId, name: string, author?: Author): Promise<void> {
    await this.tagWrite(id, async () => {
      const { previous, missed } = await this.tagBefore(id, name);
      try {
        await this.storage.deleteTag(id, name, author);
      } catch (error) {
        // The catalog knew a tag that was deleted on the git host directly: record that deletion as the sync worker would
        // (once: it expects the tag the catalog holds), since the worker will no longer see a difference once it is forgotten.
        if (error instanceof NotFoundError && error.code === 'TAG_NOT_FOUND') {
          await this.record(
            { ...this.change('tag.deleted', id, this.clock()), origin: 'sync', oldRevision: previous.target, previousTag: previous },
            { removeTags: [name], expect: { tag: { name, state: previous } } },
            { catchUpWhenStale: false },
          );
        }
        throw error;
      }
      await this.record(
        {
          ...this.change('tag.deleted', id, this.clock()),
          ...(author ? { author } : {}),
          oldRevision: previous.target,
          previousTag: previous,
        },
        { removeTags: [name], expect: { tag: { name, state: missed ? null : previous } } },
        { missed },
      );
    });
  }

  /** A full sha the catalog has cached, or a tag it knows, resolves without a storage call. */
  async resolveRef(id: DatasetId, ref?: string): Promise<string> {
    if (ref !== undefined) {
      if (isFullSha(ref)) {
        if ((await this.descriptorFromCatalog(id, ref)) !== undefined) return ref;
      } else if (!(await this.behind())) {
        const tag = await this.catalogTag(id, ref);
        if (tag) return tag.target;
      }
    }
    return this.storage.resolveRef(id, ref);
  }

  /**
   * What `resolveRef` would answer, when known without waiting: the head and a full sha from the backend's memory; a tag
   * from the catalog's answers of the last TAG_REUSE_MS, as `resolveRef` reuses them (from the backend's while changes
   * wait in the journal, when `resolveRef` asks the backend too). Undefined whenever `resolveRef` must look.
   */
  peekRef(id: DatasetId, ref?: string): string | undefined {
    if (ref === undefined || isFullSha(ref)) return this.storage.peekRef?.(id, ref);
    const pending = this.options.journal === undefined ? 0 : this.options.journal.pendingNow?.();
    if (pending === undefined) return undefined;
    if (pending > 0) return this.storage.peekRef?.(id, ref);
    return this.recentTags.get(`${formatDatasetId(id)}\n${ref}`)?.target;
  }

  /** The descriptor at a revision comes from the catalog's cache, and is cached there after a storage read. */
  async readFile(id: DatasetId, sha: string, path: string): Promise<string | undefined> {
    if (path !== DESCRIPTOR_PATH || !isFullSha(sha)) return this.storage.readFile(id, sha, path);
    const cached = await this.descriptorFromCatalog(id, sha);
    if (cached !== undefined) return cached;
    const source = await this.storage.readFile(id, sha, path);
    // A source the catalog cannot hold (U+0000) is not offered to it: each read would otherwise cost a transaction that stores nothing.
    if (source !== undefined && isCacheable(source)) {
      await this.catalog.apply({ dataset: id, descriptors: [{ revision: sha, source }] }).catch((error: unknown) => {
        this.options.logger?.warn({ err: error, dataset: formatDatasetId(id) }, 'could not cache a descriptor in the catalog');
      });
    }
    return source;
  }

  /** A tag the catalog knows comes from it; while journaled changes wait (the catalog is behind), from storage. */
  async getTag(id: DatasetId, name: string): Promise<Tag> {
    if (await this.behind()) return this.storage.getTag(id, name);
    return (await this.catalogTag(id, name)) ?? this.storage.getTag(id, name);
  }

  listOwners(): Promise<string[]> {
    return this.storage.listOwners();
  }

  listDatasets(owner: string, page: PageRequest): Promise<Page<string>> {
    return this.storage.listDatasets(owner, page);
  }

  listRevisions(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>> {
    return this.storage.listRevisions(id, page);
  }

  getRevision(id: DatasetId, sha: string): Promise<Revision> {
    return this.storage.getRevision(id, sha);
  }

  listTags(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    return this.storage.listTags(id, page);
  }

  private change(type: DatasetChange['type'], id: DatasetId, time: Date): DatasetChange {
    return { type, id, backend: this.backend, location: this.locationOf(id), time, origin: 'api' };
  }

  /**
   * Records a commit expecting its parent as the catalog's head, without reading the row first: the row keeps its
   * creation time (`keepCreatedAt`); a catalog whose head is not the parent (writes missed while it was down, pushed to
   * git directly, or another replica's) finds the update stale, and the dataset is caught up instead.
   */
  private async recordCommit(id: DatasetId, request: CommitRequest, revision: Revision): Promise<void> {
    let change: DatasetChange;
    let source: string;
    try {
      const written = request.changes.find((entry) => entry.path === DESCRIPTOR_PATH && 'content' in entry);
      const [read, previousSource] = await Promise.all([
        written && 'content' in written ? written.content : this.storage.readFile(id, revision.sha, DESCRIPTOR_PATH),
        this.readFile(id, request.parent, DESCRIPTOR_PATH),
      ]);
      if (read === undefined) return;
      source = read;
      const previousDescriptor = parseDescriptor(previousSource);
      change = {
        ...this.change(request.revertedTo !== undefined ? 'dataset.reverted' : 'dataset.updated', id, new Date(revision.timestamp)),
        author: revision.author,
        message: revision.message,
        oldRevision: request.parent,
        newRevision: revision.sha,
        descriptorSource: source,
        ...(previousDescriptor ? { previousDescriptor } : {}),
        ...(request.revertedTo !== undefined ? { revertedTo: request.revertedTo } : {}),
      };
    } catch (error) {
      this.options.logger?.error(
        { err: error, dataset: formatDatasetId(id), revision: revision.sha },
        'committed, but could not describe the change for the catalog; the sync worker will record it',
      );
      return;
    }
    const time = new Date(revision.timestamp);
    const update: JournaledUpdate = {
      // The row's creation time stays the catalog's (keepCreatedAt, or the journal's createdAtFromCatalog); this one is a stand-in.
      entry: catalogEntryOf({ id, backend: this.backend, location: this.locationOf(id), head: revision, createdAt: time, source }),
      descriptors: [{ revision: revision.sha, source }],
      expect: { head: request.parent },
    };
    await this.record(change, update, { keepCreatedAt: true });
  }

  /**
   * Records a change that happened in git: row, caches and event in one catalog transaction, if the catalog is still as
   * the write found it; else (unless told not to) catches the dataset up from storage. A catalog that does not answer, or
   * that journaled changes still wait for, gets the change through the journal; without one it is logged and left.
   * `keepCreatedAt`: the entry's creation time is a stand-in, the catalog's row keeps its own (and a journaled change
   * takes it from the row when applied).
   */
  private async record(
    change: DatasetChange,
    update: JournaledUpdate,
    options: { readonly catchUpWhenStale?: boolean; readonly missed?: DatasetChange | undefined; readonly keepCreatedAt?: boolean } = {},
  ): Promise<void> {
    const { catchUpWhenStale = true, missed, keepCreatedAt = false } = options;
    if (await this.behind()) return this.journalChange(change, update, keepCreatedAt, missed);
    let outcome;
    try {
      const events = [...(missed ? [missed] : []), change].map((made) => eventFromChange(made, this.options.events));
      outcome = await this.catalog.apply({ dataset: change.id, ...update, events, ...(keepCreatedAt ? { keepCreatedAt } : {}) });
    } catch (error) {
      if (this.options.journal) {
        this.options.logger?.warn(
          { err: error, dataset: formatDatasetId(change.id), type: change.type },
          'written to git, but the catalog does not answer; the change is journaled',
        );
        return this.journalChange(change, update, keepCreatedAt, missed);
      }
      this.options.logger?.error(
        { err: error, dataset: formatDatasetId(change.id), type: change.type },
        'written to git, but could not record the change in the catalog; the sync worker will',
      );
      return;
    }
    if (outcome === 'applied') {
      // The next write's parent: its read of the descriptor (and this write's own record of it) need not ask the catalog.
      for (const descriptor of update.descriptors ?? [])
        this.recentDescriptors.set(`${formatDatasetId(change.id)}@${descriptor.revision}`, descriptor.source);
      this.options.onRecorded?.();
    } else if (catchUpWhenStale && !(await this.catchUp(change))) await this.journalChange(change, update, keepCreatedAt, missed);
  }

  /**
   * Appends a change to the journal before its write is acknowledged; without a journal, logs it for the sync worker. A
   * journal that cannot be written fails the request (503): the write is in git, but its event would be incomplete.
   */
  private async journalChange(
    change: DatasetChange,
    update: JournaledUpdate,
    createdAtFromCatalog = false,
    missed?: DatasetChange,
  ): Promise<void> {
    const { journal } = this.options;
    if (!journal) {
      this.options.logger?.error(
        { dataset: formatDatasetId(change.id), type: change.type },
        'written to git, but could not record the change in the catalog; the sync worker will',
      );
      return;
    }
    try {
      await journal.append({ change, update, ...(missed ? { missed } : {}), ...(createdAtFromCatalog ? { createdAtFromCatalog } : {}) });
    } catch (error) {
      this.options.logger?.error(
        { err: error, dataset: formatDatasetId(change.id), type: change.type },
        'written to git, but neither the catalog nor the journal could record the change; the sync worker will',
      );
      throw new StorageUnavailableError(
        'the change was written to git, but could not be recorded for its event; it will be announced as found by the next sync',
        { cause: error },
      );
    }
    this.options.onJournaled?.();
  }

  /**
   * Brings a dataset the catalog is behind on level with storage, announcing `change` (just made) as it says; a long gap
   * is left to the sync worker. False when the catalog did not answer (the caller journals the change).
   */
  private async catchUp(change: DatasetChange): Promise<boolean> {
    try {
      const result = await this.reconciler.reconcile(change.id, {
        made: change,
        maxRevisions: CATCH_UP_REVISIONS,
        attempts: CATCH_UP_ATTEMPTS,
      });
      if (result.created + result.updated + result.deleted + result.tagChanges > 0) this.options.onRecorded?.();
      // Other writers kept recording first through every attempt: the change stands in git and the sync worker announces it.
      if (result.stale)
        this.options.logger?.error(
          { dataset: formatDatasetId(change.id), type: change.type, attempts: CATCH_UP_ATTEMPTS },
          'written to git, but other writers kept the catalog changing: the next sync announces this change',
        );
      return true;
    } catch (error) {
      this.options.logger?.error(
        { err: error, dataset: formatDatasetId(change.id), type: change.type },
        'written to git, but could not catch the catalog up',
      );
      return false;
    }
  }

  /**
   * A tag as a change to it finds it: the catalog's record; storage's when the catalog does not answer or is behind the
   * journal. A tag storage has but the answering catalog never recorded (its creation was written to git by a process
   * killed before recording it, or pushed directly) comes with that creation as `missed`, announced before the change:
   * once the change is made, git no longer shows it.
   */
  private async tagBefore(id: DatasetId, name: string): Promise<{ previous: Tag; missed?: DatasetChange }> {
    if (await this.behind()) return { previous: await this.storage.getTag(id, name) };
    let recorded: Tag | undefined;
    let answered = true;
    try {
      recorded = await this.catalog.getTag(id, name);
    } catch (error) {
      this.options.logger?.warn({ err: error, dataset: formatDatasetId(id) }, 'catalog unavailable; reading from storage');
      answered = false;
    }
    if (recorded) return { previous: recorded };
    const previous = await this.storage.getTag(id, name);
    if (!answered) return { previous };
    const missed = foundTagChange(
      { id, backend: this.backend, location: this.locationOf(id), origin: 'sync' },
      undefined,
      previous,
      this.clock,
    );
    return { previous, ...(missed ? { missed } : {}) };
  }

  /** Whether journaled changes wait: the catalog is then behind this process's acknowledged writes. */
  private async behind(): Promise<boolean> {
    return this.options.journal !== undefined && (await this.options.journal.pending()) > 0;
  }

  /** A catalog read for recording a change; `BEHIND` when the catalog does not answer or journaled changes wait. */
  private async catalogState<T>(read: () => Promise<T>, id: DatasetId): Promise<T | typeof BEHIND> {
    if (await this.behind()) return BEHIND;
    try {
      return await read();
    } catch (error) {
      this.options.logger?.warn({ err: error, dataset: formatDatasetId(id) }, 'catalog unavailable; reading from storage');
      return BEHIND;
    }
  }

  /**
   * The descriptor at a full sha, from the catalog. A read at a sha asks twice in a row (resolve, then read): the
   * answer is kept a few seconds in memory so that the second costs no database round trip (content by sha never changes).
   */
  private async descriptorFromCatalog(id: DatasetId, sha: string): Promise<string | undefined> {
    const key = `${formatDatasetId(id)}@${sha}`;
    const recent = this.recentDescriptors.get(key);
    if (recent !== undefined) return recent;
    const source = await this.fromCatalog(() => this.catalog.descriptorAt(id, sha), id);
    if (source !== undefined) this.recentDescriptors.set(key, source);
    return source;
  }

  /**
   * A tag as the catalog knows it. Reads at a tag ask for it on every request: the answer is reused for TAG_REUSE_MS
   * (a read at a tag was one catalog query each). Tags this process changes are forgotten when the change is recorded
   * (`tagWrite`), and an answer read while such a change went on is not kept.
   */
  private async catalogTag(id: DatasetId, name: string): Promise<Tag | undefined> {
    const key = `${formatDatasetId(id)}\n${name}`;
    const recent = this.recentTags.get(key);
    if (recent !== undefined) return recent;
    const changesBefore = this.tagChanges;
    const tag = await this.fromCatalog(() => this.catalog.getTag(id, name), id);
    if (tag !== undefined && changesBefore === this.tagChanges) this.recentTags.set(key, tag);
    return tag;
  }

  /** A write that may change the dataset's tags (in git and the catalog): its tags are forgotten once it is done, failed or not. */
  private async tagWrite<T>(id: DatasetId, write: () => Promise<T>): Promise<T> {
    const dataset = formatDatasetId(id);
    try {
      return await this.writes.run(dataset, write);
    } finally {
      this.tagChanges += 1;
      for (const key of this.recentTags.keys()) if (key.startsWith(`${dataset}\n`)) this.recentTags.delete(key);
    }
  }

  /** A catalog read; a catalog that is down makes the caller fall back to storage. */
  private async fromCatalog<T>(read: () => Promise<T>, id: DatasetId): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.options.logger?.warn({ err: error, dataset: formatDatasetId(id) }, 'catalog unavailable; reading from storage');
      return undefined;
    }
  }
}
