import type { DatasetId, Page, PageRequest, Tag } from '@metastore/storage';
import type { ApplyOutcome, CatalogEntry, CatalogUpdate, SearchQuery } from './catalog.model';

/**
 * The catalog database: an index of every dataset for fast listing and search, a cache of immutable
 * git objects, and (through `apply`) the transactional outbox of events.
 */
export interface CatalogStore {
  /**
   * Applies `update` atomically: all of it (row, cache, tags, events) or nothing; `stale` (nothing applied) when the
   * catalog no longer holds what `update.expect` says. Never fails on U+0000, which PostgreSQL cannot store: entries and
   * events are stored with it replaced by U+FFFD (`storableEntry`, `withoutNul`), and a descriptor holding it is not cached.
   */
  apply(update: CatalogUpdate): Promise<ApplyOutcome>;

  /** The dataset's row, deleted ones included; `undefined` when the catalog has never seen it. */
  getDataset(id: DatasetId): Promise<CatalogEntry | undefined>;

  /**
   * Datasets that are not deleted and match every given filter, one keyset page at a time. Rejects a malformed cursor with
   * VALIDATION_FAILED.
   */
  search(query: SearchQuery): Promise<Page<CatalogEntry>>;

  /** Every row (deleted ones included) in (owner, name) order, for reconciliation and rebuilds. */
  scan(page: PageRequest): Promise<Page<CatalogEntry>>;

  /** The cached descriptor source of `id` at `revision`, if cached. */
  descriptorAt(id: DatasetId, revision: string): Promise<string | undefined>;

  /** One of the dataset's tags as last recorded. */
  getTag(id: DatasetId, name: string): Promise<Tag | undefined>;

  /** All of the dataset's recorded tags, in name order. */
  listTags(id: DatasetId): Promise<readonly Tag[]>;

  /**
   * Whether the outbox holds an announcement of `tag` (this exact state) leaving: a `tag.deleted`, or a `tag.updated`
   * from it. Tells a tag the catalog recorded and saw go from one it never recorded; asked only in that rare case.
   */
  announcedTagLeaving(id: DatasetId, tag: Tag): Promise<boolean>;

  /** Resolves when the database answers (readiness probes); rejects with STORAGE_UNAVAILABLE otherwise. */
  checkReady(): Promise<void>;
}
