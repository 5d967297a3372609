import { formatDatasetId, parseDatasetId } from '@metastore/datasets';
import { NotFoundError } from '@metastore/errors';
import type { EventBuilderOptions } from '@metastore/events';
import type { DatasetId, DatasetStorage } from '@metastore/storage';
import type { CatalogEntry } from './catalog.model';
import type { CatalogStore } from './catalog.port';
import { DatasetIndexer } from './dataset-indexer';
import { DatasetReconciler } from './dataset-reconciler';
import type { SyncWatermarkStore } from './sync-watermark.port';

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
  /** Revisions announced per catalog transaction when a long history is caught up (default 100). */
  readonly revisionsPerUpdate?: number;
  /**
   * Where the incremental sync keeps each owner's watermark. With it, and a storage that lists changes
   * (`listChangedDatasets`), a run reconciles only the datasets pushed to since the last one; without either, every run is full.
   */
  readonly watermarks?: SyncWatermarkStore;
  /** An owner last reconciled in full longer ago than this is reconciled in full again (default 7 days; 0: only when asked). */
  readonly fullSyncEveryMs?: number;
}

/** How often an owner is reconciled in full by default: the safety net for what a watermark cannot see (renames, topic changes). */
export const DEFAULT_FULL_SYNC_EVERY_MS = 7 * 24 * 3600 * 1000;

/** Called after each dataset with how many are done out of how many the run found (first with `done` 0). */
export type SyncProgress = (done: number, total: number) => void;

/** What a reconcile or rebuild covers, and whom it tells about progress. */
export interface SyncRunOptions {
  /** Owners to look at besides those storage lists and those the catalog holds rows of. */
  readonly owners?: readonly string[];
  readonly onProgress?: SyncProgress;
  /** Once aborted (a SIGTERM), the run takes no further dataset: those in flight finish, and the summary covers what was done. */
  readonly signal?: AbortSignal;
  /** Reconcile every dataset, whatever the watermarks say (`metastore catalog sync --full`); the watermarks are renewed. */
  readonly full?: boolean;
}

/** What a reconcile found and recorded. */
export interface ReconcileSummary {
  /**
   * Datasets compared with storage one by one: in a full run those in storage and those the catalog still held as live;
   * in an incremental one those pushed to since the watermark (and rows a complete listing no longer shows).
   */
  readonly datasets: number;
  /** Datasets for which at least one event was recorded. */
  readonly changed: number;
  /** `dataset.created`, `dataset.updated` and `dataset.deleted` events recorded. */
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  /** `tag.*` events recorded. */
  readonly tagChanges: number;
  /** Datasets (or owners whose listing failed) that could not be reconciled; logged, the run went on. */
  readonly failures: number;
  /** Owners whose every dataset was compared (no watermark, one due for a full run, `full`, or a storage without change listings). */
  readonly fullOwners: number;
  /** Owners synced from their watermark. */
  readonly incrementalOwners: number;
}

/** One owner's part of a reconcile: the datasets to compare, and the watermark to store once all of them are recorded (none stale). */
interface OwnerPlan {
  readonly owner: string;
  readonly present: readonly DatasetId[];
  readonly missing: readonly DatasetId[];
  readonly full: boolean;
  readonly watermark?: { readonly value: string; readonly fullSyncAt: Date };
  failures: number;
  done: number;
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

/** A run that compared nothing: every count 0 (a run starts from it; a run that failed before comparing reports it). */
export const NOTHING_RECONCILED: ReconcileSummary = Object.freeze({
  datasets: 0,
  changed: 0,
  created: 0,
  updated: 0,
  deleted: 0,
  tagChanges: 0,
  failures: 0,
  fullOwners: 0,
  incrementalOwners: 0,
});

const PAGE = 500;
const byKey = (left: DatasetId, right: DatasetId) => {
  const [a, b] = [formatDatasetId(left), formatDatasetId(right)];
  return a < b ? -1 : a > b ? 1 : 0;
};
const live = (entry: CatalogEntry | undefined) => (entry && !entry.deleted ? entry : undefined);

/** Runs `work` on every item, at most `concurrency` at a time, until `signal` aborts. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
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
 * without going through the API (a `git push`, writes the catalog missed while it was down) and
 * records it with its events, as the API would have: one per revision on the first-parent history
 * since the head the catalog knew, one per tag change (see `DatasetReconciler`); `rebuild` re-indexes
 * everything without events.
 *
 * Runs beside the API: every update expects the catalog as it was read, so a change both see is
 * announced once (by whichever records it first), and a second run finds nothing more to announce.
 */
export class CatalogSync {
  private readonly indexer: DatasetIndexer;
  private readonly reconciler: DatasetReconciler;
  private readonly clock: () => Date;
  private readonly concurrency: number;
  private readonly fullSyncEveryMs: number;

  constructor(
    private readonly storage: DatasetStorage,
    private readonly catalog: CatalogStore,
    private readonly options: CatalogSyncOptions,
  ) {
    this.indexer = new DatasetIndexer(storage);
    this.reconciler = new DatasetReconciler(storage, catalog, options);
    this.clock = options.clock ?? (() => new Date());
    this.concurrency = options.concurrency ?? 4;
    this.fullSyncEveryMs = options.fullSyncEveryMs ?? DEFAULT_FULL_SYNC_EVERY_MS;
  }

  /**
   * Records, with `origin: 'sync'` events, every difference between storage and the catalog: for each owner either every
   * dataset (a full run) or, from its watermark, those pushed to since (see `listChangedDatasets`); an owner's watermark
   * moves on only once every dataset its listing named is recorded, so a failure is retried by the next run.
   */
  async reconcile(options: SyncRunOptions = {}): Promise<ReconcileSummary> {
    const rows = await this.scanRows();
    const owners = await this.ownersOf(rows, options.owners ?? []);
    const counts: Counts = { ...NOTHING_RECONCILED };
    const plans: OwnerPlan[] = [];
    for (const owner of owners) {
      try {
        plans.push(await this.planOwner(owner, rows, options.full ?? false));
      } catch (error) {
        // Without the owner's listing nothing can be said about its rows: none is taken for deleted.
        this.options.logger?.error({ err: error, owner }, 'could not list the datasets of an owner; skipped');
        counts.failures += 1;
      }
    }
    const planOf = new Map<string, OwnerPlan>(plans.map((plan) => [plan.owner, plan]));
    const survey: Survey = {
      present: plans.flatMap((plan) => plan.present).sort(byKey),
      missing: plans.flatMap((plan) => plan.missing).sort(byKey),
      failures: 0,
    };
    counts.datasets = survey.present.length + survey.missing.length;
    counts.fullOwners = plans.filter((plan) => plan.full).length;
    counts.incrementalOwners = plans.length - counts.fullOwners;
    await this.eachDataset(
      survey,
      options,
      counts,
      async (id) => {
        const result = await this.reconciler.reconcile(id, { tally: counts });
        if (result.created + result.updated + result.deleted + result.tagChanges > 0) counts.changed += 1;
        // Stale: another writer recorded first, maybe short of what the listing saw; the owner's watermark waits for the next run.
        if (!result.stale) planOf.get(id.owner)!.done += 1;
      },
      (id) => {
        planOf.get(id.owner)!.failures += 1;
      },
    );
    await this.storeWatermarks(plans);
    return counts;
  }

  /**
   * Recomputes every row and tag set from storage without events (re-indexing is not news); rows of vanished datasets are marked deleted.
   */
  async rebuild(options: SyncRunOptions = {}): Promise<RebuildSummary> {
    const survey = await this.survey(options.owners ?? []);
    const summary = { datasets: survey.present.length + survey.missing.length, indexed: 0, deleted: 0, failures: survey.failures };
    await this.eachDataset(survey, options, summary, async (id) => {
      const indexed = await this.indexer.read(id);
      if (indexed) {
        await this.catalog.apply({
          dataset: id,
          entry: indexed.entry,
          descriptors: [{ revision: indexed.entry.headRevision, source: indexed.source }],
          replaceAllTags: indexed.tags,
        });
        summary.indexed += 1;
      } else if (live(await this.catalog.getDataset(id)) && (await this.isGone(id))) {
        await this.catalog.apply({ dataset: id, deletedAt: this.clock() });
        summary.deleted += 1;
      }
    });
    return summary;
  }

  /** Every row of the catalog (a database scan, no storage call). */
  private async scanRows(): Promise<CatalogEntry[]> {
    const rows: CatalogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.catalog.scan({ limit: PAGE, ...(cursor ? { cursor } : {}) });
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  }

  /** Owners from storage, the catalog's rows and the caller, in order. */
  private async ownersOf(rows: readonly CatalogEntry[], extraOwners: readonly string[]): Promise<string[]> {
    return [...new Set([...(await this.storage.listOwners()), ...rows.map((row) => row.id.owner), ...extraOwners])].sort();
  }

  /**
   * The datasets of `owner` to compare: with a watermark (and a storage that lists changes) those pushed to since, plus,
   * when the listing came back complete, live rows it no longer names (deletions to check) and names without a live row
   * (new without a push); otherwise every dataset storage lists and every live row it does not.
   */
  private async planOwner(owner: string, rows: readonly CatalogEntry[], full: boolean): Promise<OwnerPlan> {
    const liveRows = rows.filter((row) => row.id.owner === owner && !row.deleted);
    const listChanged = this.storage.listChangedDatasets?.bind(this.storage);
    const watermarks = this.options.watermarks;
    if (!listChanged || !watermarks) {
      const names = new Set(await this.namesOf(owner));
      const missing = liveRows.filter((row) => !names.has(row.id.name)).map((row) => row.id);
      return { owner, present: [...names].map((name) => ({ owner, name })), missing, full: true, failures: 0, done: 0 };
    }
    const now = this.clock();
    const stored = full ? undefined : await watermarks.get(this.storage.backend, owner);
    const due = stored !== undefined && this.fullSyncEveryMs > 0 && now.getTime() - stored.fullSyncAt.getTime() >= this.fullSyncEveryMs;
    const since = stored && !due ? stored.value : undefined;
    const listing = await listChanged(owner, since);
    const valid = (names: readonly string[]) => names.filter((name) => isDatasetId(owner, name));
    const toCompare = new Set(valid(listing.changed));
    const missing: DatasetId[] = [];
    if (listing.complete) {
      const listed = new Set(valid(listing.complete));
      const known = new Set(liveRows.map((row) => row.id.name));
      for (const row of liveRows) if (!listed.has(row.id.name)) missing.push(row.id);
      for (const name of listed) if (!known.has(name)) toCompare.add(name);
    }
    const fullRun = since === undefined;
    return {
      owner,
      present: [...toCompare].map((name) => ({ owner, name })),
      missing,
      full: fullRun,
      watermark: { value: listing.watermark, fullSyncAt: fullRun ? now : stored!.fullSyncAt },
      failures: 0,
      done: 0,
    };
  }

  /** Stores the watermark of every owner whose datasets were all recorded (an aborted or failed owner keeps its old one). */
  private async storeWatermarks(plans: readonly OwnerPlan[]): Promise<void> {
    const watermarks = this.options.watermarks;
    if (!watermarks) return;
    for (const plan of plans) {
      if (!plan.watermark || plan.failures > 0 || plan.done < plan.present.length + plan.missing.length) continue;
      await watermarks.put({
        backend: this.storage.backend,
        owner: plan.owner,
        value: plan.watermark.value,
        fullSyncAt: plan.watermark.fullSyncAt,
        updatedAt: this.clock(),
      });
    }
  }

  /** Owners from storage, the catalog's rows and the caller; every dataset storage lists for them; live rows it does not list. */
  private async survey(extraOwners: readonly string[]): Promise<Survey> {
    const rows = await this.scanRows();
    const owners = await this.ownersOf(rows, extraOwners);
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
    const missing = rows
      .filter((row) => !row.deleted && !present.has(formatDatasetId(row.id)) && !unlisted.has(row.id.owner))
      .map((row) => row.id);
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
    failed?: (id: DatasetId) => void,
  ): Promise<void> {
    const all = [...survey.present, ...survey.missing];
    let done = 0;
    onProgress?.(0, all.length);
    await forEachConcurrently(
      all,
      this.concurrency,
      async (id) => {
        try {
          await work(id);
        } catch (error) {
          counts.failures += 1;
          failed?.(id);
          this.options.logger?.error(
            { err: error, dataset: formatDatasetId(id) },
            'could not bring the dataset into the catalog; the next run retries',
          );
        }
        done += 1;
        onProgress?.(done, all.length);
      },
      signal,
    );
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
