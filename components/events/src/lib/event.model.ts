import type { Author, DatasetId, Tag } from '@metastore/storage';
import type { EventType } from './event-types';

export type { EventType } from './event-types';

/** Who noticed a change: the API that made it, or the sync worker that found it pushed to the git host directly. */
export type ChangeOrigin = 'api' | 'sync';

/** A descriptor as a plain JSON object. */
export type DescriptorObject = { readonly [key: string]: unknown };

/** A change that has happened in git (the commit or tag exists), as the catalog and the events see it. */
export interface DatasetChange extends ChangeFields {
  readonly type: EventType;
}

/** A {@link DatasetChange} but its type: what an event type's examples declare (their type is the definition's). */
export interface ChangeFields {
  readonly id: DatasetId;
  /** The storage backend (`local`, `github`, ...) and where the repository lives there. */
  readonly backend: string;
  readonly location: string;
  /** When it happened (the commit's or tag's time, or when the sync worker noticed it). */
  readonly time: Date;
  /** Who made it; absent when nobody is known (a deletion found by the sync worker). */
  readonly author?: Author;
  /** The commit message, for writes that made a commit. */
  readonly message?: string;
  /** The head before the change (absent for a created dataset); for tag changes, the revision the tag pointed at before. */
  readonly oldRevision?: string;
  /** The head after the change (absent for a deleted dataset); for tag changes, the revision the tag points at now. */
  readonly newRevision?: string;
  /** The descriptor source (`datapackage.json`, exactly as stored) at `newRevision`, for dataset changes other than deletion. */
  readonly descriptorSource?: string;
  /** The descriptor at `oldRevision`, when known, to say which fields and resources changed. */
  readonly previousDescriptor?: DescriptorObject;
  /** For `dataset.reverted`: the revision whose content the new one restores. */
  readonly revertedTo?: string;
  /**
   * For a `dataset.updated` the sync worker found: `oldRevision` (the head the catalog knew) is not an ancestor of
   * `newRevision`, so history was rewritten (a force-push, or the repository deleted and made again); the commits in
   * between are not announced one by one.
   */
  readonly historyRewritten?: boolean;
  /** For tag changes: the tag after the change (absent when deleted) and before it (absent when created). */
  readonly tag?: Tag;
  readonly previousTag?: Tag;
  readonly origin: ChangeOrigin;
}

/** What changed in a descriptor, by top-level field and by resource name. */
export interface ChangedParts {
  readonly fields: readonly string[];
  readonly resources: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly modified: readonly string[] };
}

/** A tag as events carry it. */
export interface TagData {
  readonly name: string;
  readonly target: string;
  readonly description: string;
  readonly author: Author;
  readonly createdAt: string;
}

/** The `data` of every Metastore event: enough for a search indexer to act without calling back. */
export interface EventData {
  readonly dataset: {
    readonly id: string;
    readonly owner: string;
    readonly name: string;
    readonly backend: string;
    readonly location: string;
  };
  readonly origin: ChangeOrigin;
  readonly oldRevision: string | null;
  readonly newRevision: string | null;
  readonly author: Author | null;
  readonly message?: string;
  /** Dataset changes: which top-level fields and resources changed (everything, for a created dataset). */
  readonly changes?: ChangedParts;
  /** The new descriptor, unless it is larger than the size limit; then `descriptorTruncated` and `descriptorUrl` say where to get it. */
  readonly descriptor?: DescriptorObject;
  readonly descriptorTruncated?: boolean;
  readonly descriptorUrl?: string;
  /**
   * The stored descriptor is not valid JSON or not a JSON object (pushed to git by other means): neither carried nor linked, since reading
   * it fails.
   */
  readonly descriptorInvalid?: boolean;
  readonly revertedTo?: string;
  /** `dataset.updated` only: `oldRevision` is not an ancestor of `newRevision` (history was rewritten). */
  readonly historyRewritten?: true;
  readonly tag?: TagData;
  readonly previousTag?: TagData;
}

/** A CloudEvents 1.0 event in JSON format (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md). */
export interface MetastoreEvent {
  readonly specversion: '1.0';
  /** Unique per event (a UUID); consumers de-duplicate on it. */
  readonly id: string;
  /** The Metastore instance, as a URI reference. */
  readonly source: string;
  readonly type: EventType;
  /** `owner/name` of the dataset. */
  readonly subject: string;
  /** When the change happened, RFC 3339. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly dataschema?: string;
  readonly data: EventData;
}

/** An event as the outbox holds it: `sequence` orders all events (decimal string of a growing integer). */
export interface StoredEvent {
  readonly sequence: string;
  readonly event: MetastoreEvent;
}
