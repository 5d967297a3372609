/** A dataset's identity: `owner/name`, one git repository per dataset. */
export interface DatasetId {
  readonly owner: string;
  readonly name: string;
}

/** The person a commit or tag is attributed to. */
export interface Author {
  readonly name: string;
  readonly email: string;
}

/** A git commit of a dataset: every write is exactly one revision. */
export interface Revision {
  readonly sha: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: Author;
  /** Author time, ISO 8601 in UTC. */
  readonly timestamp: string;
}

/** An annotated git tag: a named, described version pointing at one revision. */
export interface Tag {
  readonly name: string;
  /** The sha of the revision (commit) the tag points at. */
  readonly target: string;
  /** The tag message. */
  readonly description: string;
  readonly author: Author;
  /** Tagger time, ISO 8601 in UTC. */
  readonly createdAt: string;
}

/** One file written (UTF-8 text) or deleted by a commit; paths are relative, `/`-separated. */
export type FileChange = { readonly path: string; readonly content: string } | { readonly path: string; readonly delete: true };

/** What a commit needs: the revision it builds on, its changes and who made it. */
export interface CommitRequest {
  /** The head the caller read; if the head moved since, the commit is refused (optimistic concurrency). */
  readonly parent: string;
  readonly changes: readonly FileChange[];
  readonly message: string;
  readonly author: Author;
  /** Defaults to the storage's clock. */
  readonly timestamp?: Date;
  /** For a revert: the revision whose content the commit restores (storages ignore it; observers announce it). */
  readonly revertedTo?: string;
}

/** What creating a dataset needs: its first files and who made them. */
export interface CreateDatasetRequest {
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly message: string;
  readonly author: Author;
  readonly timestamp?: Date;
}

/** Who deletes a dataset, and (optionally) the head it must still be at. */
export interface DeleteDatasetOptions {
  /** Who asked, for observers (the catalog's event). */
  readonly author?: Author;
  /** The head the caller last saw (HTTP If-Match): if the head is another, nothing is deleted (`REVISION_CONFLICT`). */
  readonly expectedHead?: string;
}

/** What creating or rewriting a tag needs. */
export interface TagRequest {
  readonly name: string;
  /** The sha of the commit the tag points at. */
  readonly target: string;
  readonly description: string;
  readonly author: Author;
  readonly timestamp?: Date;
}

/** Cursor pagination request: `cursor` is opaque, from a previous page's `nextCursor`. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

/** One page of a listing; `nextCursor` is absent on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}
