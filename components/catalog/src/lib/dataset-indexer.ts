import { DESCRIPTOR_PATH } from '@metastore/datasets';
import { NotFoundError } from '@metastore/errors';
import type { DatasetId, DatasetStorage, Tag } from '@metastore/storage';
import type { CatalogEntry } from './catalog.model';
import { catalogEntryOf } from './catalog-entry';

/** A dataset as read from storage for the catalog: its row, the head descriptor and every tag. */
export interface IndexedDataset {
  readonly entry: CatalogEntry;
  readonly source: string;
  readonly tags: readonly Tag[];
}

const PAGE = 100;

/** Reads datasets from storage the way the catalog indexes them (used by rebuilds, the sync worker and recovery after a missed write). */
export class DatasetIndexer {
  constructor(private readonly storage: DatasetStorage) {}

  /**
   * The dataset as the catalog should hold it, or `undefined` if storage has no such dataset (or no descriptor in it).
   * `knownHead`, when the caller has just resolved it, saves resolving it again.
   */
  async read(id: DatasetId, knownHead?: string): Promise<IndexedDataset | undefined> {
    let headSha: string;
    try {
      headSha = knownHead ?? (await this.storage.resolveRef(id));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const [head, source, createdAt, tags] = await Promise.all([
      this.storage.getRevision(id, headSha),
      this.storage.readFile(id, headSha, DESCRIPTOR_PATH),
      this.createdAt(id, headSha),
      this.tags(id),
    ]);
    if (source === undefined) return undefined;
    const entry = catalogEntryOf({ id, backend: this.storage.backend, location: this.storage.locationOf(id), head, createdAt, source });
    return { entry, source, tags };
  }

  /** The author time of the dataset's first revision: the end of the first-parent history from `head`. */
  async createdAt(id: DatasetId, head: string): Promise<Date> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.storage.listRevisions(id, { limit: PAGE, ref: head, ...(cursor ? { cursor } : {}) });
      const last = page.items.at(-1);
      if (!page.nextCursor) {
        if (!last) throw new NotFoundError('REVISION_NOT_FOUND', `${id.owner}/${id.name} has no revisions`);
        return new Date(last.timestamp);
      }
      cursor = page.nextCursor;
    }
  }

  /** Every tag of the dataset. */
  async tags(id: DatasetId): Promise<Tag[]> {
    const tags: Tag[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.storage.listTags(id, { limit: PAGE, ...(cursor ? { cursor } : {}) });
      tags.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return tags;
  }
}
