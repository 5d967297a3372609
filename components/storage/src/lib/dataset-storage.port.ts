import type {
  Author,
  CommitRequest,
  CreateDatasetRequest,
  DatasetId,
  DeleteDatasetOptions,
  Page,
  PageRequest,
  Revision,
  Tag,
  TagRequest,
} from './storage.model';

/**
 * What changed among an owner's datasets since a watermark (`DatasetStorage.listChangedDatasets`).
 */
export interface ChangedDatasets {
  /** Names of datasets pushed to (or created) since the watermark, in no particular order; all of them without one. */
  readonly changed: readonly string[];
  /**
   * Every dataset name of the owner, when the backend listed them all: without a watermark, or when its listing showed
   * that datasets may have gone (or appeared) without a push. The caller compares it with what it holds: rows it lacks are
   * deletions to check, names it has no row of are new. Absent: nothing went.
   */
  readonly complete?: readonly string[];
  /** The new watermark (opaque to the caller): to be kept once every changed dataset is recorded, and passed to the next call. */
  readonly watermark: string;
}

/** Requests an adapter made to its host since it was opened: `conditional` ones answered 304, which hosts such as GitHub do not count. */
export interface StorageUsage {
  readonly requests: number;
  readonly notModified: number;
}

/**
 * Where datasets live: one git repository per dataset, on some host (local disk, GitHub, GitLab).
 *
 * Errors: `DATASET_NOT_FOUND` for an unknown dataset, `REF_NOT_FOUND` / `REVISION_NOT_FOUND` /
 * `TAG_NOT_FOUND` for unknown names inside one, `DATASET_ALREADY_EXISTS` / `TAG_ALREADY_EXISTS`,
 * `REVISION_CONFLICT` for a stale parent, `STORAGE_UNAVAILABLE` for host failures.
 */
export interface DatasetStorage {
  /** A short name of the backend (`local`, `github`, ...), recorded with each dataset. */
  readonly backend: string;

  /**
   * Where the dataset's repository lives on this backend, as recorded in the catalog and carried by events: a URL, or
   * a path relative to the backend's own root (local: `repositories/<owner>/<name>.git`); never a path on the server.
   */
  locationOf(id: DatasetId): string;

  /** Resolves when the backend is reachable and writable (for readiness probes); rejects with STORAGE_UNAVAILABLE otherwise. */
  checkReady(): Promise<void>;

  /** Creates the repository with one initial commit holding `files`; fails if the dataset exists. */
  createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision>;

  /**
   * Removes the dataset (on backends that delete repositories, its history goes with it). With
   * `expectedHead`, only while the head is that revision (else `REVISION_CONFLICT`, nothing deleted),
   * checked as close to the deletion as the backend allows.
   */
  deleteDataset(id: DatasetId, options?: DeleteDatasetOptions): Promise<void>;

  /**
   * Owners that may hold datasets, for reconciliation: distinct, in ascending order. Backends that can
   * enumerate their namespaces list those holding datasets; others (GitHub) list the configured owners.
   */
  listOwners(): Promise<string[]>;

  /** Names of an owner's datasets, in ascending order. */
  listDatasets(owner: string, page: PageRequest): Promise<Page<string>>;

  /**
   * Optional (remote hosts, whose listing costs requests): the owner's datasets pushed to since `watermark` (a value an
   * earlier call returned; undefined: everything), from the host's listing ordered by last push (GitHub `pushed_at`,
   * GitLab `last_activity_at`), read with conditional requests down to the watermark, so that an owner with nothing new
   * costs no counted request. Backends without it are reconciled in full each run (cheap on local disk).
   */
  listChangedDatasets?(owner: string, watermark: string | undefined): Promise<ChangedDatasets>;

  /** Optional: the requests made to the host so far (for a sync run's summary and metrics). */
  usage?(): StorageUsage;

  /**
   * Resolves a ref (full or abbreviated sha, tag, branch; the default branch's head when absent) to a commit sha.
   * A full sha may be returned unverified: an unknown one then fails the first readFile with REF_NOT_FOUND.
   */
  resolveRef(id: DatasetId, ref?: string): Promise<string>;

  /**
   * Optional: what `resolveRef` would answer now, when the backend knows it without waiting (from memory, checked
   * against the disk with a stat at most); undefined whenever it must look. Never throws, never answers what
   * `resolveRef` would not: a read served from memory with it is as fresh as one that resolved the ref.
   */
  peekRef?(id: DatasetId, ref?: string): string | undefined;

  /** The UTF-8 content of `path` at the commit `sha`, or `undefined` when the file does not exist there. */
  readFile(id: DatasetId, sha: string, path: string): Promise<string | undefined>;

  /** Commits `changes` atomically on the default branch, only if its head is still `request.parent`. */
  commit(id: DatasetId, request: CommitRequest): Promise<Revision>;

  /** Revisions reachable from `ref` (default: head), newest first. */
  listRevisions(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>>;

  /** One revision by its sha (full or abbreviated). */
  getRevision(id: DatasetId, sha: string): Promise<Revision>;

  /** Creates an annotated tag; fails if a tag of that name exists. */
  createTag(id: DatasetId, request: TagRequest): Promise<Tag>;

  /** Rewrites an existing annotated tag (new message and/or target). */
  replaceTag(id: DatasetId, request: TagRequest): Promise<Tag>;

  /** One tag by name. */
  getTag(id: DatasetId, name: string): Promise<Tag>;

  /** Tags in ascending name order. */
  listTags(id: DatasetId, page: PageRequest): Promise<Page<Tag>>;

  /** Deletes a tag (the revision it pointed at stays); `author` is who asked, for observers. */
  deleteTag(id: DatasetId, name: string, author?: Author): Promise<void>;
}
