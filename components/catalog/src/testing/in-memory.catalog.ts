import { StorageUnavailableError, ValidationError } from '@metastore/errors';
import type { MetastoreEvent } from '@metastore/events';
import type { DatasetId, Page, PageRequest, Tag } from '@metastore/storage';
import type { CatalogEntry, CatalogUpdate, SearchQuery } from '../lib/catalog.model';
import type { CatalogStore } from '../lib/catalog.port';

const keyOf = (id: DatasetId) => `${id.owner}/${id.name}`;
const byKey = (a: CatalogEntry, b: CatalogEntry) => (keyOf(a.id) < keyOf(b.id) ? -1 : keyOf(a.id) > keyOf(b.id) ? 1 : 0);

/** Words of a text, lower-cased, for the fake's naive full-text match. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * A catalog in memory, for unit tests of code that uses the port. Search is naive (every query word
 * must occur in title, description or keywords; relevance is not modelled: results stay in key order).
 */
export class InMemoryCatalogStore implements CatalogStore {
  readonly entries = new Map<string, CatalogEntry>();
  readonly descriptors = new Map<string, string>();
  readonly tags = new Map<string, Map<string, Tag>>();
  readonly events: MetastoreEvent[] = [];
  /** Set to make every call fail, as a database that is down would. */
  down = false;

  async apply(update: CatalogUpdate): Promise<void> {
    this.check();
    const key = keyOf(update.dataset);
    const seen = new Set(this.events.map((event) => event.id));
    if ((update.events ?? []).some((event) => seen.has(event.id))) throw new Error(`duplicate event id in ${key}`);
    if (update.entry) this.entries.set(key, update.entry);
    if (update.deletedAt) {
      const entry = this.entries.get(key);
      if (entry) this.entries.set(key, { ...entry, deleted: true });
      for (const cached of [...this.descriptors.keys()]) if (cached.startsWith(`${key}@`)) this.descriptors.delete(cached);
      this.tags.delete(key);
    }
    for (const descriptor of update.descriptors ?? []) this.descriptors.set(`${key}@${descriptor.revision}`, descriptor.source);
    if (update.replaceAllTags) this.tags.set(key, new Map(update.replaceAllTags.map((tag) => [tag.name, tag])));
    const tags = this.tags.get(key) ?? new Map<string, Tag>();
    for (const tag of update.upsertTags ?? []) tags.set(tag.name, tag);
    for (const name of update.removeTags ?? []) tags.delete(name);
    if (tags.size > 0 || this.tags.has(key)) this.tags.set(key, tags);
    this.events.push(...(update.events ?? []));
  }

  async getDataset(id: DatasetId): Promise<CatalogEntry | undefined> {
    this.check();
    return this.entries.get(keyOf(id));
  }

  async search(query: SearchQuery): Promise<Page<CatalogEntry>> {
    this.check();
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!after.includes('/')) throw new ValidationError('invalid cursor', [{ pointer: '/cursor', message: 'not a cursor from a previous page' }]);
    }
    const wanted = query.q === undefined ? [] : words(query.q);
    const matches = [...this.entries.values()]
      .filter((entry) => !entry.deleted)
      .filter((entry) => query.owner === undefined || entry.id.owner === query.owner)
      .filter((entry) => query.keyword === undefined || entry.keywords.includes(query.keyword))
      .filter((entry) => query.updatedSince === undefined || entry.updatedAt >= query.updatedSince)
      .filter((entry) => {
        const text = new Set(words([entry.title ?? '', entry.description ?? '', ...entry.keywords].join(' ')));
        return wanted.every((word) => text.has(word));
      })
      .sort(byKey)
      .filter((entry) => after === undefined || keyOf(entry.id) > after);
    const items = matches.slice(0, query.limit);
    const last = items.at(-1);
    return { items, ...(matches.length > query.limit && last ? { nextCursor: Buffer.from(keyOf(last.id)).toString('base64url') } : {}) };
  }

  async scan(page: PageRequest): Promise<Page<CatalogEntry>> {
    this.check();
    const all = [...this.entries.values()].sort(byKey).filter((entry) => page.cursor === undefined || keyOf(entry.id) > page.cursor);
    const items = all.slice(0, page.limit);
    const last = items.at(-1);
    return { items, ...(all.length > page.limit && last ? { nextCursor: keyOf(last.id) } : {}) };
  }

  async descriptorAt(id: DatasetId, revision: string): Promise<string | undefined> {
    this.check();
    return this.descriptors.get(`${keyOf(id)}@${revision}`);
  }

  async getTag(id: DatasetId, name: string): Promise<Tag | undefined> {
    this.check();
    return this.tags.get(keyOf(id))?.get(name);
  }

  async listTags(id: DatasetId): Promise<readonly Tag[]> {
    this.check();
    return [...(this.tags.get(keyOf(id))?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async checkReady(): Promise<void> {
    this.check();
  }

  private check(): void {
    if (this.down) throw new StorageUnavailableError('the in-memory catalog is down');
  }
}
