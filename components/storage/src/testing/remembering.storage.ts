import type { DatasetId, TagRequest } from '../lib/storage.model';
import { InMemoryDatasetStorage } from './in-memory.storage';

/**
 * The in-memory backend with a memory of its own, as the local one has: `peekRef` answers what its `resolveRef` last
 * answered for that dataset and ref, until a write of this instance (a commit, a tag moved or deleted, a deletion).
 */
export class RememberingDatasetStorage extends InMemoryDatasetStorage {
  private readonly answered = new Map<string, string>();

  override async resolveRef(dataset: DatasetId, ref?: string): Promise<string> {
    const sha = await super.resolveRef(dataset, ref);
    this.answered.set(`${dataset.owner}/${dataset.name}\n${ref ?? ''}`, sha);
    return sha;
  }

  peekRef(dataset: DatasetId, ref?: string): string | undefined {
    return this.answered.get(`${dataset.owner}/${dataset.name}\n${ref ?? ''}`);
  }

  override async commit(...args: Parameters<InMemoryDatasetStorage['commit']>) {
    this.answered.clear();
    return super.commit(...args);
  }

  override async replaceTag(dataset: DatasetId, request: TagRequest) {
    this.answered.clear();
    return super.replaceTag(dataset, request);
  }

  override async deleteTag(...args: Parameters<InMemoryDatasetStorage['deleteTag']>) {
    this.answered.clear();
    return super.deleteTag(...args);
  }

  override async deleteDataset(...args: Parameters<InMemoryDatasetStorage['deleteDataset']>) {
    this.answered.clear();
    return super.deleteDataset(...args);
  }
}
