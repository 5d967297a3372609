import { StorageUnavailableError, ValidationError } from '@metastore/errors';
import { withoutNul, type MetastoreEvent } from '@metastore/events';
import { formatDatasetId, type DatasetId, type Page, type PageRequest, type Tag } from '@metastore/storage';
import { isCacheable, storableEntry } from '../lib/catalog-entry';
import { meetsExpectation, sameTag } from '../lib/catalog-expectation';
import type { ApplyOutcome, CatalogEntry, CatalogUpdate, SearchQuery } from '../lib/catalog.model';
import type { CatalogStore } from '../lib/catalog.port';

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** (owner, name) order, as the database's keys sort: owner first, then name. */
const byKey = (a: CatalogEntry, b: CatalogEntry) => compare(a.id.owner, b.id.owner) || compare(a.id.name, b.id.name);
const after = (entry: CatalogEntry, cursor: DatasetId) => byKey(entry, { id: cursor } as CatalogEntry) > 0;
const encodeKey = (id: DatasetId) => Buffer.from(JSON.stringify([id.owner, id.name])).toString('base64url');
function decodeKey(cursor: string): DatasetId {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string'))
      return { owner: parsed[0] as string, name: parsed[1] as string };
  } catch {
    // reported below
  }
  throw new ValidationError('invalid cursor', [{ pointer: '/cursor', message: 'not a cursor from a previous page' }]);
}

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

  async apply(update: CatalogUpdate): Promise<ApplyOutcome> {
    this.check();
    const key = formatDatasetId(update.dataset);
    if (update.expect) {
      const entry = this.entries.get(key);
      const state = { head: entry && !entry.deleted ? entry.headRevision : null, tags: [...(this.tags.get(key)?.values() ?? [])] };
      if (!meetsExpectation(update.expect, state)) return 'stale';
    }
    const seen = new Set(this.events.map((event) => event.id));
    const ids = (update.events ?? []).map((event) => event.id);
    if (ids.some((id) => seen.has(id)) || new Set(ids).size !== ids.length) throw new Error(`duplicate event id in ${key}`);
    if (update.entry) {
      const live = this.entries.get(key);
      const entry = update.keepCreatedAt && live && !live.deleted ? { ...update.entry, createdAt: live.createdAt } : update.entry;
      this.entries.set(key, storableEntry(entry));
    }
    if (update.deletedAt) {
      const entry = this.entries.get(key);
      if (entry) this.entries.set(key, { ...entry, deleted: true });
      for (const cached of [...this.descriptors.keys()]) if (cached.startsWith(`${key}@`)) this.descriptors.delete(cached);
      this.tags.delete(key);
    }
    for (const descriptor of update.descriptors ?? []) {
      if (isCacheable(descriptor.source) && !this.descriptors.has(`${key}@${descriptor.revision}`))
        this.descriptors.set(`${key}@${descriptor.revision}`, descriptor.source);
    }
    if (update.replaceAllTags) this.tags.set(key, new Map(update.replaceAllTags.map((tag) => [tag.name, tag])));
    const tags = this.tags.get(key) ?? new Map<string, Tag>();
    for (const tag of update.upsertTags ?? []) tags.set(tag.name, tag);
    for (const name of update.removeTags ?? []) tags.delete(name);
    if (tags.size > 0 || this.tags.has(key)) this.tags.set(key, tags);
    this.events.push(...(update.events ?? []).map(withoutNul));
    return 'applied';
  }

  async getDataset(id: DatasetId): Promise<CatalogEntry | undefined> {
    this.check();
    return this.entries.get(formatDatasetId(id));
  }

  async search(query: SearchQuery): Promise<Page<CatalogEntry>> {
    this.check();
    const start = query.cursor === undefined ? undefined : decodeKey(query.cursor);
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
      .filter((entry) => start === undefined || after(entry, start));
    const items = matches.slice(0, query.limit);
    const last = items.at(-1);
    return { items, ...(matches.length > query.limit && last ? { nextCursor: encodeKey(last.id) } : {}) };
  }

  async scan(page: PageRequest): Promise<Page<CatalogEntry>> {
    this.check();
    const start = page.cursor === undefined ? undefined : decodeKey(page.cursor);
    const all = [...this.entries.values()].sort(byKey).filter((entry) => start === undefined || after(entry, start));
    const items = all.slice(0, page.limit);
    const last = items.at(-1);
    return { items, ...(all.length > page.limit && last ? { nextCursor: encodeKey(last.id) } : {}) };
  }

  async descriptorAt(id: DatasetId, revision: string): Promise<string | undefined> {
    this.check();
    return this.descriptors.get(`${formatDatasetId(id)}@${revision}`);
  }

  async getTag(id: DatasetId, name: string): Promise<Tag | undefined> {
    this.check();
    return this.tags.get(formatDatasetId(id))?.get(name);
  }

  async listTags(id: DatasetId): Promise<readonly Tag[]> {
    this.check();
    return [...(this.tags.get(formatDatasetId(id))?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async announcedTagLeaving(id: DatasetId, tag: Tag): Promise<boolean> {
    this.check();
    const subject = formatDatasetId(id);
    const stored = withoutNul(tag);
    return this.events.some(
      (event) =>
        event.subject === subject &&
        (event.type === 'tag.deleted' || event.type === 'tag.updated') &&
        event.data.previousTag !== undefined &&
        sameTag(event.data.previousTag, stored),
    );
  }

  async checkReady(): Promise<void> {
    this.check();
  }

  private check(): void {
    if (this.down) throw new StorageUnavailableError('the in-memory catalog is down');
  }
}
