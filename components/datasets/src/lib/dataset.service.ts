import { isDeepStrictEqual } from 'node:util';
import mergePatch from 'json-merge-patch';
import { LRUCache } from 'lru-cache';
import { DescriptorInvalidError, NotFoundError, PreconditionFailedError, RevisionConflictError, ValidationError } from '@metastore/errors';
import {
  formatDatasetId,
  isFullSha,
  KeyedLock,
  type Author,
  type DatasetId,
  type DatasetStorage,
  type FileChange,
  type Page,
  type PageRequest,
  type Revision,
} from '@metastore/storage';
import { isJsonObject, type Descriptor, type DescriptorReport, type DescriptorWarning, type JsonObject } from './descriptor.model';
import { DescriptorValidator } from './descriptor.validator';
import {
  DESCRIPTOR_PATH,
  GITATTRIBUTES_PATH,
  isLfsPointer,
  lfsPointersOf,
  managedFiles,
  pointerPathsOf,
  type LfsPointer,
} from './lfs-pointers';
import { mergedNumberForms, NO_NUMBER_FORMS, numberFormsOf, serializeWithForms, type NumberForms } from './number-forms';

/** A descriptor as stored at one revision; `source` is the exact file content. */
export interface DatasetSnapshot {
  readonly id: DatasetId;
  readonly revision: string;
  readonly descriptor: Descriptor;
  readonly source: string;
}

/** The outcome of a write: the new head (or the unchanged one when nothing changed) and SHOULD-level warnings. */
export interface WriteResult {
  readonly revision: Revision;
  readonly changed: boolean;
  readonly warnings: readonly DescriptorWarning[];
}

/** The stored descriptor at a revision: parsed, or (pushed to the repository by other means) why it cannot be. */
type StoredDescriptor =
  | { readonly revision: string; readonly source: string; readonly descriptor: Descriptor }
  | { readonly revision: string; readonly source: string; readonly invalid: DescriptorInvalidError };

/** Who deletes, and (optionally) the revision the caller last saw (HTTP If-Match). */
export interface DeleteOptions {
  readonly author?: Author;
  /** A revision sha: the dataset is deleted only while this is its head, else PRECONDITION_FAILED and nothing is deleted. */
  readonly ifMatch?: string;
}

/** Who writes, why, and (optionally) on which revision the write is conditional. */
export interface WriteOptions {
  readonly author: Author;
  readonly message?: string;
  /** The revision sha the caller last saw (HTTP If-Match); a different head fails with PRECONDITION_FAILED. */
  readonly ifMatch?: string;
  /** Refuse the common v1 forms otherwise accepted with a warning (the `lenient` codes). */
  readonly strict?: boolean;
  /**
   * How the numbers of the submitted descriptor (of the patch, for `patch`) were written (`numberFormsOf` its text), so
   * that `1.0` is stored as `1.0`; without it numbers are stored as JavaScript writes them.
   */
  readonly numberForms?: NumberForms;
}

/** Dependencies of the DatasetService. */
export interface DatasetServiceDependencies {
  readonly storage: DatasetStorage;
  readonly validator?: DescriptorValidator;
  /** How many times an unconditional write re-reads the head after losing a race to another writer. */
  readonly maxWriteAttempts?: number;
  /** How many parsed descriptors are kept by (dataset, revision sha) (default 1,000; 0 parses on every read). */
  readonly parsedDescriptors?: number;
}

/** Freezes a parsed JSON value and everything in it, so a descriptor shared by reads cannot be changed by one of them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** Serialises a descriptor the way it is stored: two-space indented JSON and a final newline; numbers in their `forms`. */
export function serializeDescriptor(descriptor: Descriptor, forms: NumberForms = NO_NUMBER_FORMS): string {
  return `${serializeWithForms(descriptor, forms, 2)}\n`;
}

/** The dataset use cases: create, read, replace, merge-patch, revert-style rewrites and delete. */
export class DatasetService {
  private readonly storage: DatasetStorage;
  private readonly validator: DescriptorValidator;
  private readonly maxWriteAttempts: number;
  /** Writes to one dataset queue up in this process instead of racing each other to the storage. */
  private readonly writes = new KeyedLock();
  /**
   * The stored descriptor parsed once per revision, by `owner/name@sha`: the file at a commit never changes. Its text is
   * still asked of the storage on every read (which says whether the dataset and revision still exist, from its own
   * caches), and an entry is used only for that same text. Descriptors handed out are deeply frozen: a caller that
   * changes one works on a copy (merge patches clone it).
   */
  private readonly parsed: LRUCache<string, StoredDescriptor> | undefined;

  constructor(dependencies: DatasetServiceDependencies) {
    this.storage = dependencies.storage;
    this.validator = dependencies.validator ?? new DescriptorValidator();
    this.maxWriteAttempts = dependencies.maxWriteAttempts ?? 5;
    const parsedDescriptors = dependencies.parsedDescriptors ?? 1000;
    this.parsed =
      parsedDescriptors > 0
        ? new LRUCache<string, StoredDescriptor>({
            max: parsedDescriptors,
            // Bounded by the text too (a parsed descriptor takes a few times its text): at most 32 Mi characters of it.
            maxSize: 32 * 1024 * 1024,
            sizeCalculation: (stored) => Math.max(1, stored.source.length),
          })
        : undefined;
  }

  /** Creates a dataset whose first revision holds `descriptor`. */
  async create(id: DatasetId, descriptor: unknown, options: Omit<WriteOptions, 'ifMatch'>): Promise<WriteResult> {
    const { files, warnings } = this.prepare(descriptor, options, options.numberForms ?? NO_NUMBER_FORMS);
    const revision = await this.storage.createDataset(id, {
      files: [...files].map(([path, content]) => ({ path, content })),
      message: options.message ?? `Create dataset ${formatDatasetId(id)}`,
      author: options.author,
    });
    return { revision, changed: true, warnings };
  }

  /** Resolves a ref (sha, tag, branch; head when absent) to a revision sha. */
  async resolve(id: DatasetId, ref?: string): Promise<string> {
    return this.storage.resolveRef(id, ref);
  }

  /** The descriptor at a ref (head when absent). */
  async read(id: DatasetId, ref?: string): Promise<DatasetSnapshot> {
    return this.readAt(id, await this.storage.resolveRef(id, ref));
  }

  /**
   * The descriptor at a ref (head when absent) when it is known without waiting: the storage knows the ref from memory
   * (`peekRef`) and this service parsed the descriptor at that revision before. Undefined whenever `read` must look.
   */
  peek(id: DatasetId, ref?: string): DatasetSnapshot | undefined {
    const revision = this.storage.peekRef?.(id, ref);
    if (revision === undefined) return undefined;
    const stored = this.parsed?.get(`${formatDatasetId(id)}@${revision}`);
    return stored !== undefined && 'descriptor' in stored
      ? { id, revision, descriptor: stored.descriptor, source: stored.source }
      : undefined;
  }

  /** The descriptor at a resolved revision sha; DESCRIPTOR_INVALID when the stored file is not a JSON object. */
  async readAt(id: DatasetId, revision: string): Promise<DatasetSnapshot> {
    const stored = await this.readStored(id, revision);
    if ('invalid' in stored) throw stored.invalid;
    return { id, revision, descriptor: stored.descriptor, source: stored.source };
  }

  /** The stored descriptor at a revision, parsed if it can be (a file pushed by other means may not be JSON at all). */
  private async readStored(id: DatasetId, revision: string): Promise<StoredDescriptor> {
    const source = await this.storage.readFile(id, revision, DESCRIPTOR_PATH);
    if (source === undefined) {
      throw new NotFoundError('DATASET_NOT_FOUND', `${formatDatasetId(id)} has no ${DESCRIPTOR_PATH} at revision ${revision}`);
    }
    // Only a full sha names one immutable file; the text is compared as well, so an entry never outlives what it parsed.
    const key = isFullSha(revision) ? `${formatDatasetId(id)}@${revision}` : undefined;
    const cached = key === undefined ? undefined : this.parsed?.get(key);
    if (cached !== undefined && cached.source === source) return cached;
    const stored = this.parse(id, revision, source);
    // A file that does not parse is rare and not worth keeping (nor its error, thrown afresh each time).
    if (key !== undefined && 'descriptor' in stored) this.parsed?.set(key, stored);
    return stored;
  }

  /** Parses the stored text: a deeply frozen JSON object, or why it is not one. */
  private parse(id: DatasetId, revision: string, source: string): StoredDescriptor {
    let descriptor: unknown;
    try {
      descriptor = JSON.parse(source);
    } catch (error) {
      const invalid = new DescriptorInvalidError(formatDatasetId(id), revision, `not valid JSON (${(error as Error).message})`, {
        cause: error,
      });
      return { revision, source, invalid };
    }
    if (!isJsonObject(descriptor)) {
      const kind = descriptor === null ? 'null' : Array.isArray(descriptor) ? 'an array' : `a ${typeof descriptor}`;
      return { revision, source, invalid: new DescriptorInvalidError(formatDatasetId(id), revision, `not a JSON object but ${kind}`) };
    }
    return { revision, source, descriptor: deepFreeze(descriptor) };
  }

  /** One resource's metadata, by name, at a ref. */
  async readResource(id: DatasetId, resourceName: string, ref?: string): Promise<{ revision: string; resource: JsonObject }> {
    const snapshot = await this.read(id, ref);
    const resources = Array.isArray(snapshot.descriptor['resources']) ? snapshot.descriptor['resources'] : [];
    const resource = resources.find((candidate) => isJsonObject(candidate) && candidate['name'] === resourceName);
    if (!isJsonObject(resource)) {
      throw new NotFoundError('RESOURCE_NOT_FOUND', `no resource '${resourceName}' in ${formatDatasetId(id)} at ${snapshot.revision}`);
    }
    return { revision: snapshot.revision, resource };
  }

  /** Replaces the descriptor; an identical one makes no commit. */
  async replace(id: DatasetId, descriptor: unknown, options: WriteOptions): Promise<WriteResult> {
    // The current descriptor is not looked at: a replacement also repairs a descriptor that is not valid JSON.
    return this.rewrite(id, () => descriptor, { ...options, message: options.message ?? `Update dataset ${formatDatasetId(id)}` });
  }

  /** Applies a JSON Merge Patch (RFC 7396) to the descriptor at head. */
  async patch(id: DatasetId, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    if (!isJsonObject(patch)) {
      throw new ValidationError('a merge patch of a descriptor must be a JSON object', [{ pointer: '', message: 'must be a JSON object' }]);
    }
    const patchForms = options.numberForms ?? NO_NUMBER_FORMS;
    return this.rewrite(id, (current) => mergePatch.apply(structuredClone(current()), patch), {
      ...options,
      // The numbers the patch leaves alone keep the form they are stored in; the patch's own keep the patch's.
      numberForms: (stored) => mergedNumberForms(stored, patch, patchForms),
      message: options.message ?? `Update dataset ${formatDatasetId(id)}`,
    });
  }

  /**
   * Writes the descriptor `next(current)` as one new revision on top of the head. Conditional writes
   * (`ifMatch`) fail when the head moved; unconditional ones re-read the head and retry a bounded
   * number of times, so a concurrent writer is never silently overwritten. `current()` is the head's
   * descriptor, or throws DESCRIPTOR_INVALID when the stored one is not a JSON object: a write that
   * never calls it (a replacement, a revert) repairs such a dataset.
   */
  async rewrite(
    id: DatasetId,
    next: (current: () => Descriptor, head: string) => unknown,
    options: Omit<WriteOptions, 'numberForms'> & {
      readonly message: string;
      readonly revertedTo?: string;
      /** The written forms of the new descriptor's numbers, or how to compute them from those of the stored one. */
      readonly numberForms?: NumberForms | ((stored: NumberForms) => NumberForms);
    },
  ): Promise<WriteResult> {
    return this.writes.run(formatDatasetId(id), async () => {
      for (let attempt = 1; ; attempt += 1) {
        // A conditional write builds on the caller's revision; the storage's compare-and-swap refuses it if the head moved,
        // so no extra round trip to read the head is needed (it matters on remote backends).
        const head = options.ifMatch ?? (await this.storage.resolveRef(id));
        const parent = await this.readParent(id, head, options.ifMatch);
        const descriptor = next(() => {
          if ('invalid' in parent) throw parent.invalid;
          return parent.descriptor;
        }, head);
        const storedForms = numberFormsOf(parent.source);
        const forms =
          typeof options.numberForms === 'function' ? options.numberForms(storedForms) : (options.numberForms ?? NO_NUMBER_FORMS);
        const { files, warnings } = this.prepare(descriptor, options, forms);
        const changes = changesBetween(await this.managedFilesAt(id, parent, storedForms), files);
        // Equal content in another key order, or a value that serialises to the stored files (-0, undefined members), is no
        // change; numbers written otherwise (1.0 for 1) are.
        const sameContent =
          'descriptor' in parent &&
          isDeepStrictEqual(descriptor, parent.descriptor) &&
          isDeepStrictEqual(numberFormsOf(files.get(DESCRIPTOR_PATH) ?? ''), storedForms);
        if (changes.length === 0 || sameContent) {
          if (options.ifMatch !== undefined) {
            const actual = await this.storage.resolveRef(id);
            if (actual !== options.ifMatch) throw new PreconditionFailedError(options.ifMatch, actual);
          }
          return { revision: await this.storage.getRevision(id, head), changed: false, warnings };
        }
        try {
          const revision = await this.storage.commit(id, {
            parent: head,
            changes,
            message: options.message,
            author: options.author,
            ...(options.revertedTo !== undefined ? { revertedTo: options.revertedTo } : {}),
          });
          return { revision, changed: true, warnings };
        } catch (error) {
          if (!(error instanceof RevisionConflictError)) throw error;
          if (options.ifMatch !== undefined) throw new PreconditionFailedError(options.ifMatch, error.actualHead);
          if (attempt >= this.maxWriteAttempts) throw error;
        }
      }
    });
  }

  /** The descriptor a write builds on; a conditional write naming an unknown revision fails its precondition. */
  private async readParent(id: DatasetId, head: string, ifMatch: string | undefined): Promise<StoredDescriptor> {
    if (ifMatch === undefined) return this.readStored(id, head);
    if (!isFullSha(ifMatch)) throw new PreconditionFailedError(ifMatch);
    try {
      return await this.readStored(id, head);
    } catch (error) {
      if (error instanceof NotFoundError && error.code !== 'DATASET_NOT_FOUND') throw new PreconditionFailedError(ifMatch);
      throw error;
    }
  }

  /**
   * The files Metastore manages as they are at the parent: computed from its descriptor, or, when that cannot be
   * parsed, read back (the pointers a Metastore .gitattributes lists that still are LFS pointers, and that file).
   * `forms` are those of its source (numberFormsOf), which the caller has already computed.
   */
  private async managedFilesAt(id: DatasetId, parent: StoredDescriptor, forms: NumberForms): Promise<Map<string, string>> {
    if ('descriptor' in parent)
      return managedFiles(serializeDescriptor(parent.descriptor, forms), lfsPointersOf(parent.descriptor).pointers);
    const files = new Map([[DESCRIPTOR_PATH, parent.source]]);
    const attributes = await this.storage.readFile(id, parent.revision, GITATTRIBUTES_PATH);
    const paths = attributes === undefined ? [] : pointerPathsOf(attributes);
    if (attributes === undefined || paths.length === 0) return files;
    files.set(GITATTRIBUTES_PATH, attributes);
    const contents = await Promise.all(paths.map((path) => this.storage.readFile(id, parent.revision, path)));
    paths.forEach((path, index) => {
      const content = contents[index];
      if (content !== undefined && isLfsPointer(content)) files.set(path, content);
    });
    return files;
  }

  /**
   * Deletes the dataset (its repository, where the backend deletes repositories). With `ifMatch`, only while that
   * revision is the head: the storage compares it as close to the deletion as it can (see each adapter).
   */
  async delete(id: DatasetId, options: DeleteOptions = {}): Promise<void> {
    const { author, ifMatch } = options;
    await this.writes.run(formatDatasetId(id), async () => {
      if (ifMatch === undefined) return this.storage.deleteDataset(id, author ? { author } : {});
      if (!isFullSha(ifMatch)) throw new PreconditionFailedError(ifMatch);
      try {
        await this.storage.deleteDataset(id, { ...(author ? { author } : {}), expectedHead: ifMatch });
      } catch (error) {
        if (error instanceof RevisionConflictError) throw new PreconditionFailedError(ifMatch, error.actualHead);
        throw error;
      }
    });
  }

  /** Names of an owner's datasets. */
  async list(owner: string, page: PageRequest): Promise<Page<string>> {
    return this.storage.listDatasets(owner, page);
  }

  /**
   * What a write of `descriptor` would answer, without writing: its errors (the write would fail with them) and
   * warnings, the same codes and pointers; Git LFS pointer problems included.
   */
  validate(descriptor: unknown, options: Pick<WriteOptions, 'strict'> = {}): DescriptorReport {
    return this.check(descriptor, options).report;
  }

  /** The report `validate` answers, and the Git LFS pointers of a descriptor it finds no error in. */
  private check(descriptor: unknown, options: Pick<WriteOptions, 'strict'>): { report: DescriptorReport; pointers: LfsPointer[] } {
    const report = this.validator.validate(descriptor, { strict: options.strict ?? false });
    if (report.errors.length > 0) return { report, pointers: [] };
    const lfs = lfsPointersOf(descriptor as Descriptor);
    return { report: { ...report, errors: lfs.errors, warnings: [...report.warnings, ...lfs.warnings] }, pointers: lfs.pointers };
  }

  /** Validates a descriptor and computes the files it is stored as; throws a ValidationError listing every error. */
  private prepare(
    descriptor: unknown,
    options: Pick<WriteOptions, 'strict'>,
    forms: NumberForms,
  ): { files: Map<string, string>; warnings: DescriptorWarning[] } {
    const { report, pointers } = this.check(descriptor, options);
    if (report.errors.length > 0) throw new ValidationError('the descriptor is not a valid Data Package', report.errors);
    return { files: managedFiles(serializeDescriptor(descriptor as Descriptor, forms), pointers), warnings: [...report.warnings] };
  }
}

/** The file changes from the managed files `before` to `files`. */
function changesBetween(before: ReadonlyMap<string, string>, files: ReadonlyMap<string, string>): FileChange[] {
  const changes: FileChange[] = [];
  for (const [path, content] of files) if (before.get(path) !== content) changes.push({ path, content });
  for (const path of before.keys()) if (!files.has(path)) changes.push({ path, delete: true });
  return changes;
}
