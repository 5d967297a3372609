import jsonPatch, { type Operation } from 'fast-json-patch';
import {
  formatDatasetId,
  numberFormsOf,
  summarizeDiff,
  type DatasetService,
  type DiffSummary,
  type WriteOptions,
  type WriteResult,
} from '@metastore/datasets';
import type { DatasetId, DatasetStorage, Page, PageRequest, Revision } from '@metastore/storage';

/** A structured diff of the descriptor between two revisions. */
export interface RevisionDiff {
  readonly from: string;
  readonly to: string;
  /** RFC 6902 JSON Patch turning the `from` descriptor into the `to` descriptor. */
  readonly patch: readonly Operation[];
  readonly summary: DiffSummary;
}

/** Revision use cases: history, one revision, diffs and reverts. */
export class RevisionService {
  constructor(
    private readonly storage: DatasetStorage,
    private readonly datasets: DatasetService,
  ) {}

  /** Revisions newest first, from `ref` (head when absent), page by page. */
  async list(id: DatasetId, page: PageRequest & { readonly ref?: string }): Promise<Page<Revision>> {
    return this.storage.listRevisions(id, page);
  }

  /** One revision by (possibly abbreviated) sha. */
  async get(id: DatasetId, sha: string): Promise<Revision> {
    return this.storage.getRevision(id, sha);
  }

  /** The diff of the descriptor from one ref to another (`to` defaults to head). */
  async diff(id: DatasetId, fromRef: string, toRef?: string): Promise<RevisionDiff> {
    const [from, to] = await Promise.all([this.datasets.read(id, fromRef), this.datasets.read(id, toRef)]);
    return {
      from: from.revision,
      to: to.revision,
      patch: jsonPatch.compare(from.descriptor, to.descriptor),
      summary: summarizeDiff(from.descriptor, to.descriptor),
    };
  }

  /** A new revision whose descriptor (and managed files) equal those at `ref`; no commit when they already do. */
  async revert(id: DatasetId, ref: string, options: WriteOptions): Promise<WriteResult & { readonly revertedTo: string }> {
    const target = await this.datasets.read(id, ref);
    const result = await this.datasets.rewrite(id, () => target.descriptor, {
      ...options,
      // The numbers as they were written at `ref` (1.0 stays 1.0), so the restored file equals the one reverted to.
      numberForms: numberFormsOf(target.source),
      message: options.message ?? `Revert ${formatDatasetId(id)} to ${target.revision}`,
      revertedTo: target.revision,
    });
    return { ...result, revertedTo: target.revision };
  }
}
