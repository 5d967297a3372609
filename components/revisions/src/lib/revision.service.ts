import jsonPatch, { type Operation } from 'fast-json-patch';
import { isDeepStrictEqual } from 'node:util';
import { formatDatasetId, isJsonObject, type DatasetService, type Descriptor, type WriteOptions, type WriteResult } from '@metastore/datasets';
import type { DatasetId, DatasetStorage, Page, PageRequest, Revision } from '@metastore/storage';

/** What changed between two revisions, at a glance. */
export interface DiffSummary {
  readonly resourcesAdded: readonly string[];
  readonly resourcesRemoved: readonly string[];
  readonly resourcesChanged: readonly string[];
  /** Top-level descriptor properties (other than `resources`) added, removed or changed. */
  readonly fieldsChanged: readonly string[];
}

/** A structured diff of the descriptor between two revisions. */
export interface RevisionDiff {
  readonly from: string;
  readonly to: string;
  /** RFC 6902 JSON Patch turning the `from` descriptor into the `to` descriptor. */
  readonly patch: readonly Operation[];
  readonly summary: DiffSummary;
}

function resourcesByName(descriptor: Descriptor): Map<string, unknown> {
  const resources = Array.isArray(descriptor['resources']) ? descriptor['resources'] : [];
  const byName = new Map<string, unknown>();
  resources.forEach((resource, index) => {
    const name = isJsonObject(resource) && typeof resource['name'] === 'string' ? resource['name'] : `#${index}`;
    byName.set(name, resource);
  });
  return byName;
}

/** Summarises a descriptor change by resource name and top-level field. */
export function summarizeDiff(from: Descriptor, to: Descriptor): DiffSummary {
  const before = resourcesByName(from);
  const after = resourcesByName(to);
  const fields = new Set([...Object.keys(from), ...Object.keys(to)]);
  fields.delete('resources');
  return {
    resourcesAdded: [...after.keys()].filter((name) => !before.has(name)).sort(),
    resourcesRemoved: [...before.keys()].filter((name) => !after.has(name)).sort(),
    resourcesChanged: [...after.keys()].filter((name) => before.has(name) && !isDeepStrictEqual(before.get(name), after.get(name))).sort(),
    fieldsChanged: [...fields].filter((field) => !isDeepStrictEqual(from[field], to[field])).sort(),
  };
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
      message: options.message ?? `Revert ${formatDatasetId(id)} to ${target.revision}`,
    });
    return { ...result, revertedTo: target.revision };
  }
}
