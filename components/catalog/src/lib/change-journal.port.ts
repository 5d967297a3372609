import type { DatasetChange } from '@metastore/events';
import type { CatalogUpdate } from './catalog.model';

/**
 * The catalog update recording a journaled change, without what is filled in when it is applied (the dataset is the change's, the event is
 * built from it; the creation time is `createdAtFromCatalog`'s).
 */
export type JournaledUpdate = Omit<CatalogUpdate, 'dataset' | 'events' | 'keepCreatedAt'>;

/**
 * A change made in git and acknowledged to the client that the catalog could not record then (its database was down,
 * or earlier such changes still waited): everything `CatalogStore.apply` needs to record it later exactly as it would
 * have then, `expect` included (the state the change was computed from).
 */
export interface JournaledChange {
  readonly change: DatasetChange;
  /** A change the catalog had missed before this one (found in storage when it was made), recorded first, in the same transaction. */
  readonly missed?: DatasetChange;
  readonly update: JournaledUpdate;
  /**
   * The row's creation time was not known when the change was made (the catalog did not answer): `update.entry` then
   * takes `createdAt` from the catalog's row when applied.
   */
  readonly createdAtFromCatalog?: boolean;
}

/** One entry of a journal, as read back. */
export interface JournalEntry {
  /** Its position: entries are read back in the order they were appended. */
  readonly sequence: number;
  /** The adapter's name for it (a file name). */
  readonly key: string;
  /** The change; absent when the entry cannot be read (damaged, or of an unknown format), and `problem` says why. */
  readonly change?: JournaledChange;
  readonly problem?: string;
}

/**
 * A durable, ordered journal of changes the API acknowledged but could not record in the catalog. An entry is appended
 * before the write is acknowledged and removed only once its catalog transaction has committed (or it was found stale).
 */
export interface ChangeJournal {
  /** Appends a change after every entry appended before; resolves once it survives a crash. */
  append(change: JournaledChange): Promise<void>;
  /** The oldest `limit` entries, in append order (a damaged entry comes back with a `problem`, never as a change). */
  read(limit: number): Promise<readonly JournalEntry[]>;
  /** Removes an entry whose change was recorded (or found stale); resolves once the removal survives a crash. */
  remove(entry: JournalEntry): Promise<void>;
  /** Moves an entry that cannot be applied out of the way, kept for an operator with `reason`. */
  setAside(entry: JournalEntry, reason: string): Promise<void>;
  /** How many entries wait: appended here or seen by `read`, and not yet removed. */
  pending(): Promise<number>;
  /** Optional: what `pending` would answer, when it is known without waiting; else undefined. */
  pendingNow?(): number | undefined;
}
