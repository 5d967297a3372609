import { DESCRIPTOR_PATH, formatDatasetId } from '@metastore/datasets';
import { NotFoundError } from '@metastore/errors';
import { eventFromChange, type DatasetChange, type EventBuilderOptions, type EventType, type MetastoreEvent } from '@metastore/events';
import type { DatasetId, DatasetStorage, Revision, Tag } from '@metastore/storage';
import type { CatalogEntry, CatalogUpdate } from './catalog.model';
import type { CatalogStore } from './catalog.port';
import { catalogEntryOf, parseDescriptor } from './catalog-entry';
import { sameTag } from './catalog-expectation';
import { DatasetIndexer } from './dataset-indexer';

/** Where the reconciler reports what it recorded and what it left to the next run. */
export interface ReconcileLogger {
  info(object: object, message: string): void;
}

/** How the reconciler stamps events, tells time, and how much it puts in one catalog transaction. */
export interface DatasetReconcilerOptions {
  readonly events: EventBuilderOptions;
  readonly clock?: () => Date;
  readonly logger?: ReconcileLogger;
  /** Revisions announced per catalog transaction when a long history is caught up (default 100). */
  readonly revisionsPerUpdate?: number;
}

/** What one dataset's reconciliation recorded; `stale` when another writer recorded first (the next run compares again). */
export interface DatasetReconcileResult {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly tagChanges: number;
  readonly stale: boolean;
}

/** What a caller of `reconcile` may add. */
export interface DatasetReconcileOptions {
  /**
   * A change this process has just made in git (the API's write the catalog refused as stale): the walk announces it as
   * described here (author, `dataset.reverted`, `origin: 'api'`) instead of as found.
   */
  readonly made?: DatasetChange;
  /** Give up, recording nothing, when more than this many revisions are to be walked (the API leaves long gaps to the sync worker). */
  readonly maxRevisions?: number;
  /** Counts added to as each update is applied, so that batches applied before a failure are counted too. */
  readonly tally?: EventTally;
  /**
   * Compares again, up to this many runs in all (default 1), while another writer recorded first: the API catching up
   * after its own write announces it now instead of leaving it to the sync worker. A gap past `maxRevisions` is not retried.
   */
  readonly attempts?: number;
}

/** Events recorded, by kind. */
export interface EventTally {
  created: number;
  updated: number;
  deleted: number;
  tagChanges: number;
}

type Counts = { -readonly [K in keyof DatasetReconcileResult]: DatasetReconcileResult[K] } & {
  readonly tally?: EventTally;
  /** The walk went past `maxRevisions` (stale too): comparing again would find the same gap. */
  tooLong?: boolean;
};

const PAGE = 100;
const READ_CONCURRENCY = 4;
const live = (entry: CatalogEntry | undefined) => (entry && !entry.deleted ? entry : undefined);

/**
 * The change that turned a tag from `previous` (as recorded) into `tag` (as found), as the sync announces it: created,
 * updated or deleted; undefined when both agree. `base` says which dataset and where; `now` stamps what has no time.
 */
export function foundTagChange(
  base: Pick<DatasetChange, 'id' | 'backend' | 'location' | 'origin'>,
  previous: Tag | undefined,
  tag: Tag | undefined,
  now: () => Date,
): DatasetChange | undefined {
  if (tag && !previous)
    return { ...base, type: 'tag.created', time: new Date(tag.createdAt), author: tag.author, newRevision: tag.target, tag };
  if (tag && previous && !sameTag(tag, previous))
    return {
      ...base,
      type: 'tag.updated',
      time: now(),
      author: tag.author,
      oldRevision: previous.target,
      newRevision: tag.target,
      tag,
      previousTag: previous,
    };
  if (!tag && previous) return { ...base, type: 'tag.deleted', time: now(), oldRevision: previous.target, previousTag: previous };
  return undefined;
}

/** `work` on every item, at most `concurrency` at a time, results in item order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/**
 * Brings one dataset's catalog entry level with storage and announces what changed, exactly once: one event per
 * revision on the first-parent history from the head the catalog knew to storage's head, oldest first (a long gap in
 * batches, each its own transaction), one per tag change, and a deletion. Every update carries what it was computed
 * from as its expectation, so when another writer (the API, another sync) recorded something meanwhile nothing is
 * applied twice: the result is `stale` and the next run compares again.
 *
 * A head the catalog knew that is no longer on the history (a force-push) is announced as one `dataset.updated` with
 * `historyRewritten`; one storage no longer has at all (the repository was deleted and made again) as the old
 * dataset's deletion followed by the new one's creation and history.
 */
export class DatasetReconciler {
  private readonly indexer: DatasetIndexer;
  private readonly clock: () => Date;
  private readonly batch: number;

  constructor(
    private readonly storage: DatasetStorage,
    private readonly catalog: CatalogStore,
    private readonly options: DatasetReconcilerOptions,
  ) {
    this.indexer = new DatasetIndexer(storage);
    this.clock = options.clock ?? (() => new Date());
    this.batch = Math.max(1, options.revisionsPerUpdate ?? 100);
  }

  /** Records, with their events, the differences between storage and the catalog for `id`. */
  async reconcile(id: DatasetId, options: DatasetReconcileOptions = {}): Promise<DatasetReconcileResult> {
    const counts: Counts = {
      created: 0,
      updated: 0,
      deleted: 0,
      tagChanges: 0,
      stale: false,
      ...(options.tally ? { tally: options.tally } : {}),
    };
    const attempts = Math.max(1, options.attempts ?? 1);
    for (let attempt = 1; ; attempt += 1) {
      counts.stale = false;
      await this.reconcileInto(id, options, counts);
      if (!counts.stale || counts.tooLong || attempt >= attempts) break;
    }
    const { created, updated, deleted, tagChanges, stale } = counts;
    return { created, updated, deleted, tagChanges, stale };
  }

  /**
   * Records the revisions on the first-parent history from the head the catalog knows up to `revision`, one event each
   * (tags untouched), when `revision` descends from it: a journaled change computed on `revision` can then be recorded
   * as made. False (nothing recorded) when the catalog has no live row, `revision` does not descend from its head, or
   * more than `maxRevisions` lie between.
   */
  async catchUpTo(id: DatasetId, revision: string, maxRevisions: number): Promise<boolean> {
    const known = live(await this.catalog.getDataset(id));
    if (!known) return false;
    if (known.headRevision === revision) return true;
    let walk;
    try {
      walk = await this.walk(id, revision, known.headRevision, maxRevisions);
    } catch (error) {
      // The revision is gone with its repository (deleted since): nothing to catch up to.
      if (error instanceof NotFoundError) return false;
      throw error;
    }
    if (!walk || walk.rewritten) return false;
    const counts: Counts = { created: 0, updated: 0, deleted: 0, tagChanges: 0, stale: false };
    await this.recordHistory(id, known, walk.revisions, [], undefined, counts, false);
    return !counts.stale;
  }

  private async reconcileInto(id: DatasetId, options: DatasetReconcileOptions, counts: Counts): Promise<unknown> {
    const [row, tagsRead] = await Promise.all([this.catalog.getDataset(id), this.catalog.listTags(id)]);
    let recordedTags = tagsRead;
    let known = live(row);
    const head = await this.headOf(id);
    if (head === 'gone') {
      if (known) await this.recordDeletion(known, options.made, counts);
      return counts;
    }
    if (head === undefined) return counts;
    if (known && head === known.headRevision) {
      const stored = await this.indexer.tags(id);
      const events = this.tagEvents(id, recordedTags, stored, options.made);
      if (events.length > 0)
        await this.applyCounted({ dataset: id, replaceAllTags: stored, events, expect: { head, allTags: recordedTags } }, counts);
      return counts;
    }
    const walk = await this.walk(id, head, known?.headRevision, options.maxRevisions);
    if (!walk) {
      this.options.logger?.info(
        { dataset: formatDatasetId(id), maxRevisions: options.maxRevisions },
        'too many revisions to catch up here; left to the sync worker',
      );
      counts.stale = true;
      counts.tooLong = true;
      return counts;
    }
    if (known && walk.rewritten) {
      if (await this.revisionExists(id, known.headRevision))
        return this.recordRewrite(id, known, walk.revisions, recordedTags, options.made, counts);
      // The head the catalog knew is gone with its repository: that dataset was deleted, and this one is new.
      if (!(await this.recordDeletion(known, undefined, counts))) return counts;
      known = undefined;
      recordedTags = [];
    }
    // Without a live row the catalog may still hold tags (recorded by the API while the row was missing): compared too, never announced
    // twice.
    return this.recordHistory(id, known, walk.revisions, recordedTags, options.made, counts);
  }

  /**
   * The revisions after `from` up to `head` (oldest first) on the first-parent history, paging through it; `rewritten`
   * when `from` is not on it (then all of it). Undefined past `maxRevisions`.
   */
  private async walk(
    id: DatasetId,
    head: string,
    from: string | undefined,
    maxRevisions?: number,
  ): Promise<{ revisions: Revision[]; rewritten: boolean } | undefined> {
    const newestFirst: Revision[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.storage.listRevisions(id, { ref: head, limit: PAGE, ...(cursor ? { cursor } : {}) });
      for (const revision of page.items) {
        if (revision.sha === from) return { revisions: newestFirst.reverse(), rewritten: false };
        newestFirst.push(revision);
        if (maxRevisions !== undefined && newestFirst.length > maxRevisions) return undefined;
      }
      if (!page.nextCursor) return { revisions: newestFirst.reverse(), rewritten: from !== undefined };
      cursor = page.nextCursor;
    }
  }

  /** One event per revision with a descriptor, oldest first, in batches; the last batch also brings the tags level. */
  private async recordHistory(
    id: DatasetId,
    known: CatalogEntry | undefined,
    revisions: readonly Revision[],
    recordedTags: readonly Tag[],
    made: DatasetChange | undefined,
    counts: Counts,
    withTags = true,
  ): Promise<Counts> {
    const root = revisions[0];
    const createdAt = known?.createdAt ?? (root ? new Date(root.timestamp) : this.clock());
    let recordedHead = known?.headRevision ?? null;
    let previousSource = known ? await this.knownDescriptor(id, known.headRevision) : undefined;
    for (let start = 0; start < revisions.length; start += this.batch) {
      const chunk = revisions.slice(start, start + this.batch);
      const last = start + this.batch >= revisions.length;
      const sources = await mapConcurrently(chunk, READ_CONCURRENCY, (revision) =>
        this.storage.readFile(id, revision.sha, DESCRIPTOR_PATH),
      );
      const events: MetastoreEvent[] = [];
      const descriptors: { revision: string; source: string }[] = [];
      let entry: CatalogEntry | undefined;
      for (const [index, revision] of chunk.entries()) {
        const source = sources[index];
        // A commit without a descriptor is no Metastore state (the API never makes one): nothing to announce.
        if (source === undefined) continue;
        const oldRevision = entry?.headRevision ?? recordedHead ?? undefined;
        const previousDescriptor = parseDescriptor(previousSource);
        const found: DatasetChange = {
          ...this.base(id),
          type: oldRevision === undefined ? 'dataset.created' : 'dataset.updated',
          time: new Date(revision.timestamp),
          author: revision.author,
          message: revision.message,
          ...(oldRevision !== undefined ? { oldRevision } : {}),
          newRevision: revision.sha,
          descriptorSource: source,
          ...(previousDescriptor ? { previousDescriptor } : {}),
        };
        const ours =
          made?.newRevision === revision.sha &&
          made.type.startsWith('dataset.') &&
          (made.type === 'dataset.created') === (found.type === 'dataset.created');
        events.push(
          this.event(
            ours
              ? { ...made, ...(oldRevision !== undefined ? { oldRevision } : {}), ...(previousDescriptor ? { previousDescriptor } : {}) }
              : found,
          ),
        );
        descriptors.push({ revision: revision.sha, source });
        entry = catalogEntryOf({
          id,
          backend: this.storage.backend,
          location: this.storage.locationOf(id),
          head: revision,
          createdAt,
          source,
        });
        previousSource = source;
      }
      if (!entry) continue;
      const update: CatalogUpdate = { dataset: id, entry, descriptors, events, expect: { head: recordedHead } };
      if (last && withTags) {
        const stored = await this.indexer.tags(id);
        const tagEvents = this.tagEvents(id, recordedTags, stored, made);
        if (
          !(await this.applyCounted(
            { ...update, events: [...events, ...tagEvents], replaceAllTags: stored, expect: { head: recordedHead, allTags: recordedTags } },
            counts,
          ))
        )
          return counts;
      } else if (!(await this.applyCounted(update, counts))) {
        return counts;
      }
      recordedHead = entry.headRevision;
    }
    return counts;
  }

  /** The head the catalog knew is not on the new history, but still exists: history was rewritten (a force-push). */
  private async recordRewrite(
    id: DatasetId,
    known: CatalogEntry,
    revisions: readonly Revision[],
    recordedTags: readonly Tag[],
    made: DatasetChange | undefined,
    counts: Counts,
  ): Promise<Counts> {
    const head = revisions.at(-1)!;
    const source = await this.storage.readFile(id, head.sha, DESCRIPTOR_PATH);
    if (source === undefined) return counts;
    const previousDescriptor = parseDescriptor(await this.knownDescriptor(id, known.headRevision));
    const change: DatasetChange = {
      ...this.base(id),
      type: 'dataset.updated',
      time: new Date(head.timestamp),
      author: head.author,
      message: head.message,
      oldRevision: known.headRevision,
      newRevision: head.sha,
      descriptorSource: source,
      ...(previousDescriptor ? { previousDescriptor } : {}),
      historyRewritten: true,
    };
    const entry = catalogEntryOf({
      id,
      backend: this.storage.backend,
      location: this.storage.locationOf(id),
      head,
      createdAt: new Date(revisions[0]!.timestamp),
      source,
    });
    const stored = await this.indexer.tags(id);
    const events = [this.event(change), ...this.tagEvents(id, recordedTags, stored, made)];
    await this.applyCounted(
      {
        dataset: id,
        entry,
        descriptors: [{ revision: head.sha, source }],
        replaceAllTags: stored,
        events,
        expect: { head: known.headRevision, allTags: recordedTags },
      },
      counts,
    );
    return counts;
  }

  /** Records the dataset's deletion; false when another writer changed its row first. */
  private async recordDeletion(known: CatalogEntry, made: DatasetChange | undefined, counts: Counts): Promise<boolean> {
    const time = this.clock();
    const found: DatasetChange = { ...this.base(known.id), type: 'dataset.deleted', time, oldRevision: known.headRevision };
    const change = made?.type === 'dataset.deleted' ? { ...made, oldRevision: known.headRevision } : found;
    return this.applyCounted(
      { dataset: known.id, deletedAt: time, events: [this.event(change)], expect: { head: known.headRevision } },
      counts,
    );
  }

  /** Applies an update and counts its events; false (and `stale`) when the catalog moved on meanwhile. */
  private async applyCounted(update: CatalogUpdate, counts: Counts): Promise<boolean> {
    const outcome = await this.catalog.apply(update);
    const dataset = formatDatasetId(update.dataset);
    if (outcome === 'stale') {
      counts.stale = true;
      this.options.logger?.info({ dataset }, 'another writer recorded a change to the dataset meanwhile; the next run compares again');
      return false;
    }
    const types = new Map<EventType, number>();
    for (const event of update.events ?? []) {
      types.set(event.type, (types.get(event.type) ?? 0) + 1);
      const kind =
        event.type === 'dataset.created'
          ? 'created'
          : event.type === 'dataset.deleted'
            ? 'deleted'
            : event.type.startsWith('dataset.')
              ? 'updated'
              : 'tagChanges';
      counts[kind] += 1;
      if (counts.tally) counts.tally[kind] += 1;
    }
    if (types.size > 0) this.options.logger?.info({ dataset, events: Object.fromEntries(types) }, 'recorded changes found in storage');
    return true;
  }

  /** Tag events turning the catalog's tags (`recorded`) into storage's (`stored`), in name order. */
  private tagEvents(id: DatasetId, recorded: readonly Tag[], stored: readonly Tag[], made: DatasetChange | undefined): MetastoreEvent[] {
    const before = new Map(recorded.map((tag) => [tag.name, tag]));
    const after = new Map(stored.map((tag) => [tag.name, tag]));
    const names = [...new Set([...before.keys(), ...after.keys()])].sort();
    const base = this.base(id);
    const events: MetastoreEvent[] = [];
    for (const name of names) {
      const found = foundTagChange(base, before.get(name), after.get(name), this.clock);
      if (!found) continue;
      const ours = made?.type === found.type && (made.tag ?? made.previousTag)?.name === name;
      events.push(this.event(ours ? { ...found, ...made, origin: 'api' } : found));
    }
    return events;
  }

  private base(id: DatasetId): Pick<DatasetChange, 'id' | 'backend' | 'location' | 'origin'> {
    return { id, backend: this.storage.backend, location: this.storage.locationOf(id), origin: 'sync' };
  }

  private event(change: DatasetChange): MetastoreEvent {
    return eventFromChange(change, this.options.events);
  }

  /** The descriptor at a revision the catalog announced: from its cache, else from storage (undefined if neither has it). */
  private async knownDescriptor(id: DatasetId, revision: string): Promise<string | undefined> {
    const cached = await this.catalog.descriptorAt(id, revision);
    if (cached !== undefined) return cached;
    try {
      return await this.storage.readFile(id, revision, DESCRIPTOR_PATH);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  private async revisionExists(id: DatasetId, sha: string): Promise<boolean> {
    try {
      await this.storage.getRevision(id, sha);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** The head's sha, or `gone` when storage no longer has the dataset (a head-less repository: undefined, nothing to say about it). */
  private async headOf(id: DatasetId): Promise<string | 'gone' | undefined> {
    try {
      return await this.storage.resolveRef(id);
    } catch (error) {
      if (error instanceof NotFoundError) return error.code === 'DATASET_NOT_FOUND' ? 'gone' : undefined;
      throw error;
    }
  }
}
