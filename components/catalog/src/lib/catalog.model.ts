import type { MetastoreEvent } from '@metastore/events';
import type { DatasetId, Tag } from '@metastore/storage';

/** What the catalog knows about one dataset: an index row kept from git, never the truth. */
export interface CatalogEntry {
  readonly id: DatasetId;
  /** The storage backend (`local`, `github`, ...) and the repository's location there. */
  readonly backend: string;
  readonly location: string;
  /** The head revision sha the row was computed from. */
  readonly headRevision: string;
  readonly title?: string;
  readonly description?: string;
  readonly keywords: readonly string[];
  /** License names (or paths, for licenses given only by path). */
  readonly licenses: readonly string[];
  readonly resourceCount: number;
  /** The time of the dataset's first revision, and of its head revision. */
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Deleted datasets keep a row (a tombstone) so that listings and the sync worker know they went away. */
  readonly deleted: boolean;
}

/** A catalog search: every filter optional; results in (owner, name) order, or by relevance when `q` is given. */
export interface SearchQuery {
  readonly owner?: string;
  /** Full-text query over title, description and keywords (web-search syntax: words, "phrases", -exclusions, or). */
  readonly q?: string;
  /** Datasets having this keyword (exact match). */
  readonly keyword?: string;
  /** Datasets whose head revision is at or after this time. */
  readonly updatedSince?: Date;
  readonly limit: number;
  /** Opaque keyset cursor from a previous page's `nextCursor`. */
  readonly cursor?: string;
}

/** A descriptor as stored at one revision (`datapackage.json`, byte for byte). */
export interface CachedDescriptor {
  readonly revision: string;
  readonly source: string;
}

/**
 * What the catalog must still hold for an update to apply: the state its author read before computing the update's
 * events. Checked in the update's transaction, under a lock per dataset, so that of two writers that saw the same state
 * (the API recording a commit, a sync that found it in git) only the first announces the change.
 */
export interface CatalogExpectation {
  /** The dataset's live head revision; `null`: no live row (never seen, or a tombstone). */
  readonly head?: string | null;
  /** One tag as it must be recorded (`state` null: no tag of that name). */
  readonly tag?: { readonly name: string; readonly state: Tag | null };
  /** Every recorded tag of the dataset (in any order), compared as `sameTag` does. */
  readonly allTags?: readonly Tag[];
}

/** Whether `apply` applied the update, or found the catalog no longer as the update's `expect` says (and changed nothing). */
export type ApplyOutcome = 'applied' | 'stale';

/**
 * One atomic change of the catalog, applied in a single database transaction: the dataset's row,
 * cached immutable objects, its tags, and the events announcing the change (the outbox).
 */
export interface CatalogUpdate {
  readonly dataset: DatasetId;
  /** Applies only if the catalog still holds this (see {@link CatalogExpectation}); absent: unconditionally. */
  readonly expect?: CatalogExpectation;
  /** Inserts or replaces the dataset's row. */
  readonly entry?: CatalogEntry;
  /**
   * With `entry`: a live row keeps its `createdAt` (the entry's is used for a new row or a tombstone), so that a writer
   * that expects the head it committed on need not read the row first to learn it.
   */
  readonly keepCreatedAt?: boolean;
  /** Marks the dataset deleted (keeping a tombstone row if there is one) and drops its cached descriptors and tags. */
  readonly deletedAt?: Date;
  /** Descriptors to cache by revision (immutable: a revision's content never changes). One holding U+0000 is not cached (`isCacheable`). */
  readonly descriptors?: readonly CachedDescriptor[];
  /** Tags to insert or replace, tags to remove by name, or (`replaceAllTags`) the complete set of the dataset's tags. */
  readonly upsertTags?: readonly Tag[];
  readonly removeTags?: readonly string[];
  readonly replaceAllTags?: readonly Tag[];
  /** Events to append to the outbox, in order. */
  readonly events?: readonly MetastoreEvent[];
}
