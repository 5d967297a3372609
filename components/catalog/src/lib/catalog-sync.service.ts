import { formatDatasetId, parseDatasetId } from '@metastore/datasets';
import { NotFoundError } from '@metastore/errors';
import { eventFromChange, type DatasetChange, type DescriptorObject, type EventBuilderOptions, type MetastoreEvent } from '@metastore/events';
import type { DatasetId, DatasetStorage, Tag } from '@metastore/storage';
import type { CatalogEntry } from './catalog.model';
import { parseDescriptor } from './catalog-entry';
import type { CatalogStore } from './catalog.port';
import { DatasetIndexer, type IndexedDataset } from './dataset-indexer';

/** Where the sync reports what it found and what failed (pino's logger fits). */
export interface SyncLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** How the sync stamps the events it records, tells time and logs. */
export interface CatalogSyncOptions {
  readonly events: EventBuilderOptions;
  readonly clock?: () => Date;
  readonly logger?: SyncLogger;
  /** Datasets read from storage at once (default 4): remote backends spend most of a run waiting on requests. */
  readonly concurrency?: number;
}

/** Called after each dataset with how many are done out of how many the run found (first with `done` 0). */
export type SyncProgress = (done: number, total: number) => void;

/** What a reconcile or rebuild covers, and whom it tells about progress. */
export interface SyncRunOptions {
  /** Owners to look at besides those storage lists and those the catalog holds rows of. */
  readonly owners?: readonly string[];
  readonly onProgress?: SyncProgress;
  /** Once aborted (a SIGTERM), the run takes no further dataset: those in flight finish, and the summary covers what was done. */
  readonly signal?: AbortSignal;
}

/** What a reconcile found and recorded. */
export interface ReconcileSummary {
  /** Datasets looked at: those in storage and those the catalog still held as live. */
  readonly datasets: number;
  /** `dataset.created`, `dataset.updated` and `dataset.deleted` events recorded. */
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  /** `tag.*` events recorded. */
  readonly tagChanges: number;
  /** Datasets (or owners whose listing failed) that could not be reconciled; logged, the run went on. */
  readonly failures: number;
}

/** What a rebuild rewrote. */
export interface RebuildSummary {
  /** Datasets looked at: those in storage and those the catalog still held as live. */
  readonly datasets: number;
  /** Rows (and tag sets) recomputed from storage. */
  readonly indexed: number;
  /** Live rows whose dataset is gone from storage, now marked deleted. */
  readonly deleted: number;
  readonly failures: number;
}

/** The datasets a run covers: those storage lists, and live rows storage no longer lists. */
interface Survey {
  readonly present: readonly DatasetId[];
  readonly missing: readonly DatasetId[];
  readonly failures: number;
}

type Counts = { -readonly [K in keyof ReconcileSummary]: ReconcileSummary[K] };

const PAGE = 500;
const byKey = (left: DatasetId, right: DatasetId) => {
  const [a, b] = [formatDatasetId(left), formatDatasetId(right)];
  return a < b ? -1 : a > b ? 1 : 0;
};
const live = (entry: CatalogEntry | undefined) => (entry && !entry.deleted ? entry : undefined);

/** Whether two records of a tag agree (times compared as instants: databases may format them differently). */
function sameTag(left: Tag, right: Tag): boolean {
  return (
    left.target === right.target &&
    left.description === right.description &&
    left.author.name === right.author.name &&
    left.author.email === right.author.email &&
    Date.parse(left.createdAt) === Date.parse(right.createdAt)
  );
}

/** Runs `work` on every item, at most `concurrency` at a time, until `signal` aborts. */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/**
 * Brings the catalog back in line with storage, the truth. `reconcile` finds what changed in git
 * without going through the API (a `git push`, a write the catalog missed while it was down) and
 * records it with its events, as the API would have; `rebuild` re-indexes everything without events.
 * Each dataset is one `catalog.apply`: its row, tags and events together or not at all.
 *
 * Runs beside the API: a dataset the API wrote while it was being read is left to the next run, and a
 * write both see may be announced by both (the same `newRevision` twice; consumers de-duplicate on it).
 */
export class CatalogSync {
  private readonly indexer: DatasetIndexer;
  private readonly clock: () => Date;
  private readonly concurrency: number;

  constructor(
    private readonly storage: DatasetStorage,
    private readonly catalog: CatalogStore,
    private readonly options: CatalogSyncOptions,
  ) {
    this.indexer = new DatasetIndexer(storage);
    this.clock = options.clock ?? (() => new Date());
    this.concurrency = options.concurrency ?? 4;
  }

  /** Records, with `origin: 'sync'` events, every difference between storage and the catalog. */
  async reconcile(options: SyncRunOptions = {}): Promise<ReconcileSummary> {
    const survey = await this.survey(options.owners ?? []);
    const counts: Counts = { datasets: survey.present.length + survey.missing.length, created: 0, updated: 0, deleted: 0, tagChanges: 0, failures: survey.failures };
    await this.eachDataset(survey, options, counts, (id) => this.reconcileDataset(id, counts));
    return counts;
  }

  /** Recomputes every row and tag set from storage without events (re-indexing is not news); rows of vanished datasets are marked deleted. */
  async rebuild(options: SyncRunOptions = {}): Promise<RebuildSummary> {
    const survey = await this.survey(options.owners ?? []);
    const summary = { datasets: survey.present.length + survey.missing.length, indexed: 0, deleted: 0, failures: survey.failures };
    await this.eachDataset(survey, options, summary, async (id) => {
      const indexed = await this.indexer.read(id);
      if (indexed) {
        await this.catalog.apply({ dataset: id, entry: indexed.entry, descriptors: [{ revision: indexed.entry.headRevision, source: indexed.source }], replaceAllTags: indexed.tags });
        summary.indexed += 1;
      } else if (live(await this.catalog.getDataset(id)) && (await this.isGone(id))) {
        await this.catalog.apply({ dataset: id, deletedAt: this.clock() });
        summary.deleted += 1;
      }
    });
    return summary;
  }

  /** Owners from storage, the catalog's rows and the caller; every dataset storage lists for them; live rows it does not list. */
  private async survey(extraOwners: readonly string[]): Promise<Survey> {
    const rows: CatalogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.catalog.scan({ limit: PAGE, ...(cursor ? { cursor } : {}) });
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const owners = [...new Set([...(await this.storage.listOwners()), ...rows.map((row) => row.id.owner), ...extraOwners])].sort();
    const present = new Map<string, DatasetId>();
    const unlisted = new Set<string>();
    for (const owner of owners) {
      try {
        for (const name of await this.namesOf(owner)) present.set(formatDatasetId({ owner, name }), { owner, name });
      } catch (error) {
        // Without the owner's listing nothing can be said about its rows: none is taken for deleted.
        this.options.logger?.error({ err: error, owner }, 'could not list the datasets of an owner; skipped');
        unlisted.add(owner);
      }
    }
    const missing = rows.filter((row) => !row.deleted && !present.has(formatDatasetId(row.id)) && !unlisted.has(row.id.owner)).map((row) => row.id);
    return { present: [...present.values()].sort(byKey), missing: missing.sort(byKey), failures: unlisted.size };
  }

  private async namesOf(owner: string): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.storage.listDatasets(owner, { limit: PAGE, ...(cursor ? { cursor } : {}) });
      // A repository named outside Metastore's rules (made on the git host by hand: `Rain`, `x.git`) is not a dataset the API could serve.
      names.push(...page.items.filter((name) => isDatasetId(owner, name)));
      cursor = page.nextCursor;
    } while (cursor);
    return names;
  }

  /** Runs `work` on each dataset of the survey; a failure is logged and counted, and the run goes on. */
  private async eachDataset(
    survey: Survey,
    { onProgress, signal }: SyncRunOptions,
    counts: { failures: number },
    work: (id: DatasetId) => Promise<void>,
  ): Promise<void> {
    const all = [...survey.present, ...survey.missing];
    let done = 0;
    onProgress?.(0, all.length);
    await forEachConcurrently(all, this.concurrency, async (id) => {
      try {
        await work(id);
      } catch (error) {
        counts.failures += 1;
        this.options.logger?.error({ err: error, dataset: formatDatasetId(id) }, 'could not bring the dataset into the catalog; the next run retries');
      }
      done += 1;
      onProgress?.(done, all.length);
    }, signal);
  }

  private async reconcileDataset(id: DatasetId, counts: Counts): Promise<void> {
    const row = live(await this.catalog.getDataset(id));
    let head: string | undefined;
    if (row) {
      const resolved = await this.headOf(id);
      if (resolved === 'gone') return this.recordDeletion(row, counts);
      // An unchanged head (the usual case) costs one conditional request and a tag listing, not a re-index.
      if (resolved === row.headRevision) return this.reconcileTags(id, row, counts);
      head = resolved;
    }
    const indexed = await this.indexer.read(id, head);
    if (!indexed) {
      // No descriptor at the head is not a Metastore dataset (the API records nothing for it either); only a vanished one is deleted.
      if (row && (await this.isGone(id))) await this.recordDeletion(row, counts);
      return;
    }
    const events: MetastoreEvent[] = [];
    let change: 'created' | 'updated' | undefined;
    if (!row) {
      events.push(this.event(await this.datasetChange('dataset.created', indexed, undefined)));
      change = 'created';
    } else if (row.headRevision !== indexed.entry.headRevision) {
      const previousDescriptor = parseDescriptor(await this.catalog.descriptorAt(id, row.headRevision));
      events.push(this.event(await this.datasetChange('dataset.updated', indexed, row.headRevision, previousDescriptor)));
      change = 'updated';
    }
    const tagEvents = this.tagEvents(indexed.entry, row ? await this.catalog.listTags(id) : [], indexed.tags);
    // The API may have recorded a write while storage was read: its row is newer than what was read here; the next run compares again.
    if (live(await this.catalog.getDataset(id))?.headRevision !== row?.headRevision) return;
    counts.tagChanges += tagEvents.length;
    events.push(...tagEvents);
    await this.catalog.apply({
      dataset: id,
      entry: indexed.entry,
      descriptors: [{ revision: indexed.entry.headRevision, source: indexed.source }],
      replaceAllTags: indexed.tags,
      events,
    });
    if (change) counts[change] += 1;
    if (events.length > 0) this.options.logger?.info({ dataset: formatDatasetId(id), events: events.map((event) => event.type) }, 'recorded changes found in storage');
  }

  /** Same head: only the tags may have moved. */
  private async reconcileTags(id: DatasetId, row: CatalogEntry, counts: Counts): Promise<void> {
    const [stored, recorded] = await Promise.all([this.indexer.tags(id), this.catalog.listTags(id)]);
    const events = this.tagEvents(row, recorded, stored);
    if (events.length === 0) return;
    await this.catalog.apply({ dataset: id, replaceAllTags: stored, events });
    counts.tagChanges += events.length;
    this.options.logger?.info({ dataset: formatDatasetId(id), events: events.map((event) => event.type) }, 'recorded tag changes found in storage');
  }

  private async recordDeletion(row: CatalogEntry, counts: Counts): Promise<void> {
    const time = this.clock();
    const change: DatasetChange = { type: 'dataset.deleted', id: row.id, backend: row.backend, location: row.location, time, origin: 'sync', oldRevision: row.headRevision };
    await this.catalog.apply({ dataset: row.id, deletedAt: time, events: [this.event(change)] });
    counts.deleted += 1;
    this.options.logger?.info({ dataset: formatDatasetId(row.id), oldRevision: row.headRevision }, 'recorded a dataset deleted from storage');
  }

  /** Tag events turning the catalog's tags (`recorded`) into storage's (`stored`), in name order. */
  private tagEvents(entry: CatalogEntry, recorded: readonly Tag[], stored: readonly Tag[]): MetastoreEvent[] {
    const before = new Map(recorded.map((tag) => [tag.name, tag]));
    const after = new Map(stored.map((tag) => [tag.name, tag]));
    const names = [...new Set([...before.keys(), ...after.keys()])].sort();
    const base = { id: entry.id, backend: entry.backend, location: entry.location, origin: 'sync' as const };
    const events: MetastoreEvent[] = [];
    for (const name of names) {
      const previous = before.get(name);
      const tag = after.get(name);
      if (tag && !previous) {
        events.push(this.event({ ...base, type: 'tag.created', time: new Date(tag.createdAt), author: tag.author, newRevision: tag.target, tag }));
      } else if (tag && previous && !sameTag(tag, previous)) {
        events.push(this.event({ ...base, type: 'tag.updated', time: this.clock(), author: tag.author, oldRevision: previous.target, newRevision: tag.target, tag, previousTag: previous }));
      } else if (!tag && previous) {
        events.push(this.event({ ...base, type: 'tag.deleted', time: this.clock(), oldRevision: previous.target, previousTag: previous }));
      }
    }
    return events;
  }

  private async datasetChange(
    type: 'dataset.created' | 'dataset.updated',
    indexed: IndexedDataset,
    oldRevision: string | undefined,
    previousDescriptor?: DescriptorObject,
  ): Promise<DatasetChange> {
    const { entry } = indexed;
    // Read again for its author and message: a commit by sha is immutable, and every adapter caches it.
    const head = await this.storage.getRevision(entry.id, entry.headRevision);
    return {
      type,
      id: entry.id,
      backend: entry.backend,
      location: entry.location,
      // The head's time: the state announced is the head's, whatever commits led to it.
      time: entry.updatedAt,
      author: head.author,
      message: head.message,
      ...(oldRevision !== undefined ? { oldRevision } : {}),
      newRevision: entry.headRevision,
      descriptorSource: indexed.source,
      ...(previousDescriptor ? { previousDescriptor } : {}),
      origin: 'sync',
    };
  }

  private event(change: DatasetChange): MetastoreEvent {
    return eventFromChange(change, this.options.events);
  }

  /** The head's sha, or `gone` when storage no longer has the dataset (a head-less repository keeps its row: nothing to say about it). */
  private async headOf(id: DatasetId): Promise<string | 'gone' | undefined> {
    try {
      return await this.storage.resolveRef(id);
    } catch (error) {
      if (error instanceof NotFoundError) return error.code === 'DATASET_NOT_FOUND' ? 'gone' : undefined;
      throw error;
    }
  }

  private async isGone(id: DatasetId): Promise<boolean> {
    return (await this.headOf(id)) === 'gone';
  }
}

function isDatasetId(owner: string, name: string): boolean {
  try {
    parseDatasetId(owner, name);
    return true;
  } catch {
    return false;
  }
}
