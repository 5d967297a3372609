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
   * Resolves a ref (full or abbreviated sha, tag, branch; the default branch's head when absent) to a commit sha.
   * A full sha may be returned unverified: an unknown one then fails the first readFile with REF_NOT_FOUND.
   */
  resolveRef(id: DatasetId, ref?: string): Promise<string>;

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
