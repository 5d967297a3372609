import { randomBytes, randomUUID } from 'node:crypto';
import type { EventType, MetastoreEvent } from '@metastore/events';
import type { DatasetId, Tag } from '@metastore/storage';
import type { CatalogEntry, SearchQuery } from '../lib/catalog.model';
import type { CatalogStore } from '../lib/catalog.port';

/** A catalog store under test and how to dispose of it. */
export interface CatalogStoreUnderTest {
  readonly store: CatalogStore;
  readonly teardown?: () => Promise<void>;
  /**
   * Whether `search` with `q` orders by relevance (title above keywords above description), as a real
   * full-text engine does. Stores that keep (owner, name) order for `q` too (fakes) leave it unset.
   */
  readonly ranksByRelevance?: boolean;
  /**
   * For a store that ranks: the most matches it ranks. A `q` search matching more datasets than this (after the other
   * filters) comes in (owner, name) order instead, as in a store that does not rank. Unset: no limit.
   */
  readonly maxRankedMatches?: number;
}

/** Random lower-case letters: owner names and words no other test uses. */
function uniqueWord(prefix: string): string {
  const letters = [...randomBytes(8)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
  return `${prefix}${letters}`;
}

const keyOf = (entry: CatalogEntry) => `${entry.id.owner}/${entry.id.name}`;
/** The id of a `keyOf` string (owners here never contain '/'). */
const idFromKey = (key: string): DatasetId => ({ owner: key.slice(0, key.indexOf('/')), name: key.slice(key.indexOf('/') + 1) });
const idOf = (entry: CatalogEntry) => entry.id;

/** (owner, name) order, compared as a pair (the owner first), as the port specifies. */
function compareIds(a: DatasetId, b: DatasetId): number {
  if (a.owner !== b.owner) return a.owner < b.owner ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function entryFor(id: DatasetId, overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id,
    backend: 'local',
    location: `${id.owner}/${id.name}.git`,
    headRevision: randomBytes(20).toString('hex'),
    title: `Dataset ${id.name}`,
    description: 'Synthetic dataset for the catalog contract.',
    keywords: ['contract'],
    licenses: ['CC-BY-4.0'],
    resourceCount: 2,
    createdAt: new Date('2024-01-02T03:04:05.678Z'),
    updatedAt: new Date('2024-02-03T04:05:06.789Z'),
    deleted: false,
    ...overrides,
  };
}

function tagFor(name: string, target: string, description = `Release ${name}`): Tag {
  return {
    name,
    target,
    description,
    author: { name: 'Alice Example', email: 'alice@example.com' },
    createdAt: '2024-03-04T05:06:07.000Z',
  };
}

function eventFor(id: DatasetId, type: EventType, eventId: string = randomUUID()): MetastoreEvent {
  return {
    specversion: '1.0',
    id: eventId,
    source: 'urn:metastore:contract',
    type,
    subject: `${id.owner}/${id.name}`,
    time: '2024-02-03T04:05:06.789Z',
    datacontenttype: 'application/json',
    data: {
      dataset: { id: `${id.owner}/${id.name}`, owner: id.owner, name: id.name, backend: 'local', location: `${id.owner}/${id.name}.git` },
      origin: 'api',
      oldRevision: null,
      newRevision: 'a'.repeat(40),
      author: { name: 'Alice Example', email: 'alice@example.com' },
    },
  };
}

/** Matches an error carrying a stable domain `code`. */
function withCode(code: string) {
  return expect.objectContaining({ code });
}

/**
 * The `CatalogStore` contract: the in-memory fake and every database adapter run this same suite.
 * `setup` runs once per suite; each test works under its own owners and words, so tests may share a store.
 */
export function describeCatalogStoreContract(label: string, setup: () => Promise<CatalogStoreUnderTest>): void {
  describe(`CatalogStore contract: ${label}`, () => {
    let subject: CatalogStoreUnderTest;
    let store: CatalogStore;

    // Setting up may create and migrate a database: allow it more than Jest's default five seconds.
    beforeAll(async () => {
      subject = await setup();
      store = subject.store;
    }, 120_000);
    afterAll(async () => {
      await subject?.teardown?.();
    }, 60_000);

    /** Every page of `query`, followed through `nextCursor`. */
    async function searchAll(query: Omit<SearchQuery, 'cursor'>): Promise<CatalogEntry[]> {
      const found: CatalogEntry[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await store.search({ ...query, ...(cursor !== undefined ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(query.limit);
        found.push(...page.items);
        cursor = page.nextCursor;
        if (cursor === undefined) return found;
      }
      throw new Error('search kept returning a next cursor');
    }

    async function put(...entries: CatalogEntry[]): Promise<void> {
      for (const entry of entries) await store.apply({ dataset: entry.id, entry });
    }

    /** Whether a `q` search with this many matches comes in relevance order; else it comes in (owner, name) order. */
    function ranked(matches: number): boolean {
      return subject.ranksByRelevance === true && matches <= (subject.maxRankedMatches ?? Number.POSITIVE_INFINITY);
    }

    it('reports itself ready', async () => {
      await expect(store.checkReady()).resolves.toBeUndefined();
    });

    it('knows nothing of a dataset it has never seen', async () => {
      const id = { owner: uniqueWord('ct'), name: 'never' };
      expect(await store.getDataset(id)).toBeUndefined();
      expect(await store.descriptorAt(id, 'a'.repeat(40))).toBeUndefined();
      expect(await store.getTag(id, 'v1')).toBeUndefined();
      expect(await store.listTags(id)).toEqual([]);
    });

    it('inserts a row and returns it as given', async () => {
      const id = { owner: uniqueWord('ct'), name: 'climate.v1_data-set' };
      const entry = entryFor(id, {
        keywords: ['climate', 'Climate Change', 'rain'],
        licenses: ['ODC-By-1.0', 'LICENSE.txt'],
        resourceCount: 7,
      });
      await store.apply({ dataset: id, entry });
      expect(await store.getDataset(id)).toEqual(entry);
    });

    it('keeps a row without title or description (they stay absent)', async () => {
      const id = { owner: uniqueWord('ct'), name: 'bare' };
      const { title: _title, description: _description, ...bare } = entryFor(id, { keywords: [], licenses: [], resourceCount: 0 });
      await store.apply({ dataset: id, entry: bare });
      const stored = await store.getDataset(id);
      expect(stored).toEqual(bare);
      expect(stored?.title).toBeUndefined();
      expect(stored?.description).toBeUndefined();
    });

    it('replaces a row on a later update (upsert)', async () => {
      const id = { owner: uniqueWord('ct'), name: 'weather' };
      await store.apply({ dataset: id, entry: entryFor(id, { title: 'First', keywords: ['a', 'b'] }) });
      const { description: _description, ...second } = entryFor(id, {
        title: 'Second',
        keywords: ['c'],
        licenses: [],
        resourceCount: 1,
        updatedAt: new Date('2025-05-06T07:08:09.010Z'),
      });
      await store.apply({ dataset: id, entry: second });
      expect(await store.getDataset(id)).toEqual(second);
    });

    it('caches descriptors by revision; caching one again is harmless', async () => {
      const id = { owner: uniqueWord('ct'), name: 'cached' };
      const [first, second] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
      await store.apply({
        dataset: id,
        entry: entryFor(id, { headRevision: second }),
        descriptors: [
          { revision: first, source: '{"name":"cached"}\n' },
          { revision: second, source: '{\n  "name": "cached",\n  "title": "Ünïcode ✓"\n}\n' },
        ],
      });
      await store.apply({ dataset: id, descriptors: [{ revision: first, source: '{"name":"cached"}\n' }] });
      expect(await store.descriptorAt(id, first)).toBe('{"name":"cached"}\n');
      expect(await store.descriptorAt(id, second)).toBe('{\n  "name": "cached",\n  "title": "Ünïcode ✓"\n}\n');
      expect(await store.descriptorAt(id, 'f'.repeat(40))).toBeUndefined();
      expect(await store.descriptorAt({ owner: id.owner, name: 'other' }, first)).toBeUndefined();
    });

    it('upserts, removes and replaces tags; lists them in name order', async () => {
      const id = { owner: uniqueWord('ct'), name: 'tagged' };
      const [one, two] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
      await store.apply({
        dataset: id,
        entry: entryFor(id),
        upsertTags: [tagFor('v2', two), tagFor('v1', one), tagFor('release/2024', one)],
      });
      expect((await store.listTags(id)).map((tag) => tag.name)).toEqual(['release/2024', 'v1', 'v2']);
      expect(await store.getTag(id, 'v1')).toEqual(tagFor('v1', one));

      const moved = {
        ...tagFor('v1', two, 'Moved'),
        author: { name: 'Bob Ünicode', email: 'bob@example.com' },
        createdAt: '2024-06-07T08:09:10.111Z',
      };
      await store.apply({ dataset: id, upsertTags: [moved], removeTags: ['v2', 'never-existed'] });
      expect(await store.getTag(id, 'v1')).toEqual(moved);
      expect(await store.getTag(id, 'v2')).toBeUndefined();
      expect((await store.listTags(id)).map((tag) => tag.name)).toEqual(['release/2024', 'v1']);

      await store.apply({ dataset: id, replaceAllTags: [tagFor('v3', one), tagFor('v10', two)] });
      expect(await store.listTags(id)).toEqual([tagFor('v10', two), tagFor('v3', one)]);
      await store.apply({ dataset: id, replaceAllTags: [] });
      expect(await store.listTags(id)).toEqual([]);
    });

    it('tells whether it announced a tag state leaving (deleted, or moved from): that exact state, of that dataset', async () => {
      const owner = uniqueWord('ct');
      const [id, other] = [
        { owner, name: 'left' },
        { owner, name: 'other' },
      ];
      const [one, two] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
      const [v1, v2, moved] = [tagFor('v1', one), tagFor('v2', one), tagFor('v2', two, 'Moved')];
      const leaving = (dataset: DatasetId, type: EventType, tag: Tag, next?: Tag): MetastoreEvent => {
        const event = eventFor(dataset, type);
        return { ...event, data: { ...event.data, previousTag: tag, ...(next ? { tag: next } : {}) } };
      };
      await store.apply({ dataset: id, entry: entryFor(id), events: [eventFor(id, 'tag.created')] });
      expect(await store.announcedTagLeaving(id, v1)).toBe(false);

      await store.apply({ dataset: id, events: [leaving(id, 'tag.deleted', v1), leaving(id, 'tag.updated', v2, moved)] });
      await store.apply({ dataset: other, entry: entryFor(other), events: [leaving(other, 'tag.deleted', tagFor('v3', one))] });
      expect(await store.announcedTagLeaving(id, v1)).toBe(true);
      // Times compare as instants, however written.
      expect(await store.announcedTagLeaving(id, { ...v2, createdAt: '2024-03-04T05:06:07Z' })).toBe(true);
      expect(await store.announcedTagLeaving(id, moved)).toBe(false);
      expect(await store.announcedTagLeaving(id, { ...v1, description: 'Another' })).toBe(false);
      expect(await store.announcedTagLeaving(id, { ...v1, createdAt: '2024-03-04T05:06:08.000Z' })).toBe(false);
      expect(await store.announcedTagLeaving(id, tagFor('v3', one))).toBe(false);
      expect(await store.announcedTagLeaving(other, tagFor('v3', one))).toBe(true);
    });

    it('keeps tags of different datasets apart', async () => {
      const owner = uniqueWord('ct');
      const [a, b] = [
        { owner, name: 'a' },
        { owner, name: 'b' },
      ];
      await store.apply({ dataset: a, entry: entryFor(a), upsertTags: [tagFor('v1', 'a'.repeat(40))] });
      await store.apply({ dataset: b, entry: entryFor(b), replaceAllTags: [tagFor('v1', 'b'.repeat(40))] });
      expect((await store.getTag(a, 'v1'))?.target).toBe('a'.repeat(40));
      expect((await store.getTag(b, 'v1'))?.target).toBe('b'.repeat(40));
    });

    it('deletes as a tombstone: the row stays (deleted), its descriptors and tags go', async () => {
      const id = { owner: uniqueWord('ct'), name: 'doomed' };
      const revision = randomBytes(20).toString('hex');
      const entry = entryFor(id, { headRevision: revision, keywords: ['doomed'] });
      await store.apply({
        dataset: id,
        entry,
        descriptors: [{ revision, source: '{"name":"doomed"}' }],
        upsertTags: [tagFor('v1', revision)],
        events: [eventFor(id, 'dataset.created')],
      });
      await store.apply({ dataset: id, deletedAt: new Date('2025-01-01T00:00:00.000Z'), events: [eventFor(id, 'dataset.deleted')] });
      expect(await store.getDataset(id)).toEqual({ ...entry, deleted: true });
      expect(await store.descriptorAt(id, revision)).toBeUndefined();
      expect(await store.getTag(id, 'v1')).toBeUndefined();
      expect(await store.listTags(id)).toEqual([]);
      expect((await store.search({ owner: id.owner, limit: 10 })).items).toEqual([]);
    });

    it('deleting a dataset it never saw leaves no row', async () => {
      const id = { owner: uniqueWord('ct'), name: 'ghost' };
      await store.apply({ dataset: id, deletedAt: new Date() });
      expect(await store.getDataset(id)).toBeUndefined();
    });

    it('recreates a deleted dataset with a new row', async () => {
      const id = { owner: uniqueWord('ct'), name: 'phoenix' };
      await store.apply({ dataset: id, entry: entryFor(id) });
      await store.apply({ dataset: id, deletedAt: new Date() });
      const reborn = entryFor(id, { title: 'Reborn' });
      await store.apply({ dataset: id, entry: reborn });
      expect(await store.getDataset(id)).toEqual(reborn);
      expect((await store.search({ owner: id.owner, limit: 10 })).items).toEqual([reborn]);
    });

    it('applies an update only while it holds what the update expects (live head, one tag, every tag); else changes nothing: stale', async () => {
      const id = { owner: uniqueWord('ct'), name: 'expected' };
      const [one, two] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
      const created = entryFor(id, { headRevision: one });
      expect(await store.apply({ dataset: id, entry: created, expect: { head: null }, events: [eventFor(id, 'dataset.created')] })).toBe(
        'applied',
      );
      expect(
        await store.apply({ dataset: id, entry: entryFor(id), expect: { head: null }, events: [eventFor(id, 'dataset.created')] }),
      ).toBe('stale');
      expect(await store.apply({ dataset: id, entry: entryFor(id), expect: { head: two }, upsertTags: [tagFor('v9', two)] })).toBe('stale');
      expect(await store.getDataset(id)).toEqual(created);
      expect(await store.listTags(id)).toEqual([]);

      const v1 = tagFor('v1', one);
      expect(await store.apply({ dataset: id, upsertTags: [v1], expect: { tag: { name: 'v1', state: null } } })).toBe('applied');
      expect(await store.apply({ dataset: id, upsertTags: [tagFor('v1', two)], expect: { tag: { name: 'v1', state: null } } })).toBe(
        'stale',
      );
      // Times are compared as instants, whatever their text.
      const sameInstant = { ...v1, createdAt: v1.createdAt.replace('.000Z', 'Z') };
      expect(await store.apply({ dataset: id, upsertTags: [tagFor('v1', two)], expect: { tag: { name: 'v1', state: sameInstant } } })).toBe(
        'applied',
      );
      expect(await store.apply({ dataset: id, replaceAllTags: [], expect: { head: one, allTags: [v1] } })).toBe('stale');
      expect(await store.apply({ dataset: id, replaceAllTags: [], expect: { head: one, allTags: [tagFor('v1', two)] } })).toBe('applied');
      expect(await store.listTags(id)).toEqual([]);

      expect(await store.apply({ dataset: id, deletedAt: new Date(), expect: { head: one } })).toBe('applied');
      // A tombstone is no live head.
      expect(await store.apply({ dataset: id, deletedAt: new Date(), expect: { head: one } })).toBe('stale');
      expect(await store.apply({ dataset: id, entry: entryFor(id, { headRevision: two }), expect: { head: null } })).toBe('applied');
    });

    it("keeps a live row's creation time when told to (keepCreatedAt), not a tombstone's nor a missing row's", async () => {
      const id = { owner: uniqueWord('ct'), name: 'kept' };
      const first = entryFor(id, { createdAt: new Date('2020-01-02T03:04:05.006Z') });
      await store.apply({ dataset: id, entry: first, keepCreatedAt: true });
      expect(await store.getDataset(id)).toEqual(first);
      const next = entryFor(id, { title: 'Next', createdAt: new Date('2024-01-01T00:00:00.000Z') });
      await store.apply({ dataset: id, entry: next, keepCreatedAt: true });
      expect(await store.getDataset(id)).toEqual({ ...next, createdAt: first.createdAt });
      await store.apply({ dataset: id, deletedAt: new Date() });
      await store.apply({ dataset: id, entry: next, keepCreatedAt: true });
      expect(await store.getDataset(id)).toEqual(next);
    });

    it('lets exactly one of concurrent updates that expect the same state apply', async () => {
      const id = { owner: uniqueWord('ct'), name: 'raced' };
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.apply({ dataset: id, entry: entryFor(id), expect: { head: null }, events: [eventFor(id, 'dataset.created')] }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'stale')).toHaveLength(5);
    });

    it('never fails on U+0000 (PostgreSQL cannot store it): entry text gets U+FFFD, a descriptor holding it is not cached', async () => {
      const id = { owner: uniqueWord('ct'), name: 'nul' };
      const revision = randomBytes(20).toString('hex');
      const event = eventFor(id, 'dataset.created');
      const outcome = await store.apply({
        dataset: id,
        entry: entryFor(id, {
          headRevision: revision,
          title: 'Nul\u0000title',
          description: '\u0000',
          keywords: ['k\u0000'],
          licenses: ['l\u0000'],
        }),
        descriptors: [
          { revision, source: '{"title":"escaped \\u0000 is fine"}' },
          { revision: 'e'.repeat(40), source: 'raw \u0000 byte' },
        ],
        events: [{ ...event, data: { ...event.data, message: 'nul\u0000', author: { name: '\u0000', email: 'a@example.com' } } }],
      });
      expect(outcome).toBe('applied');
      expect(await store.getDataset(id)).toMatchObject({
        title: 'Nul\uFFFDtitle',
        description: '\uFFFD',
        keywords: ['k\uFFFD'],
        licenses: ['l\uFFFD'],
      });
      expect(await store.descriptorAt(id, revision)).toBe('{"title":"escaped \\u0000 is fine"}');
      expect(await store.descriptorAt(id, 'e'.repeat(40))).toBeUndefined();
    });

    it('applies all of an update or nothing: a duplicate event id rolls back row, descriptors and tags', async () => {
      const owner = uniqueWord('ct');
      const earlier = { owner, name: 'earlier' };
      const taken = randomUUID();
      await store.apply({ dataset: earlier, entry: entryFor(earlier), events: [eventFor(earlier, 'dataset.created', taken)] });

      const fresh = { owner, name: 'fresh' };
      const revision = randomBytes(20).toString('hex');
      await expect(
        store.apply({
          dataset: fresh,
          entry: entryFor(fresh, { headRevision: revision }),
          descriptors: [{ revision, source: '{}' }],
          upsertTags: [tagFor('v1', revision)],
          events: [eventFor(fresh, 'dataset.created'), eventFor(fresh, 'tag.created', taken)],
        }),
      ).rejects.toThrow();
      expect(await store.getDataset(fresh)).toBeUndefined();
      expect(await store.descriptorAt(fresh, revision)).toBeUndefined();
      expect(await store.getTag(fresh, 'v1')).toBeUndefined();

      // A failed update of an existing dataset leaves its previous state, tags included.
      const before = entryFor(earlier, { title: 'Before', headRevision: revision });
      await store.apply({ dataset: earlier, entry: before, replaceAllTags: [tagFor('v1', revision)] });
      await expect(
        store.apply({
          dataset: earlier,
          entry: entryFor(earlier, { title: 'After' }),
          replaceAllTags: [],
          events: [eventFor(earlier, 'dataset.updated', taken)],
        }),
      ).rejects.toThrow();
      expect(await store.getDataset(earlier)).toEqual(before);
      expect(await store.listTags(earlier)).toEqual([tagFor('v1', revision)]);
    });

    describe('search', () => {
      it('filters by owner and leaves deleted datasets out', async () => {
        const [owner, other] = [uniqueWord('ct'), uniqueWord('ct')];
        const kept = [entryFor({ owner, name: 'b' }), entryFor({ owner, name: 'a' })];
        await put(...kept, entryFor({ owner: other, name: 'a' }), entryFor({ owner, name: 'c' }));
        await store.apply({ dataset: { owner, name: 'c' }, deletedAt: new Date() });
        const page = await store.search({ owner, limit: 10 });
        expect(page.items.map(keyOf)).toEqual([`${owner}/a`, `${owner}/b`]);
        expect(page.nextCursor).toBeUndefined();
        expect(page.items[0]).toEqual(kept[1]);
      });

      it('filters by keyword, matching whole keywords exactly (case too)', async () => {
        const keyword = uniqueWord('kw');
        const owner = uniqueWord('ct');
        await put(
          entryFor({ owner, name: 'exact' }, { keywords: ['other', keyword] }),
          entryFor({ owner, name: 'longer' }, { keywords: [`${keyword}-extra`] }),
          entryFor({ owner, name: 'upper' }, { keywords: [keyword.toUpperCase()] }),
          entryFor({ owner, name: 'in-title' }, { title: keyword, keywords: [] }),
        );
        expect((await store.search({ keyword, limit: 10 })).items.map(keyOf)).toEqual([`${owner}/exact`]);
      });

      it('filters by updatedSince, inclusive', async () => {
        const owner = uniqueWord('ct');
        const since = new Date('2024-06-01T00:00:00.000Z');
        await put(
          entryFor({ owner, name: 'before' }, { updatedAt: new Date(since.getTime() - 1) }),
          entryFor({ owner, name: 'exactly' }, { updatedAt: since }),
          entryFor({ owner, name: 'after' }, { updatedAt: new Date('2025-01-01T00:00:00.000Z') }),
        );
        expect((await store.search({ owner, updatedSince: since, limit: 10 })).items.map(idOf)).toEqual([
          { owner, name: 'after' },
          { owner, name: 'exactly' },
        ]);
      });

      it('finds words in title, description or keywords (every word of the query)', async () => {
        const [word, second] = [uniqueWord('w'), uniqueWord('w')];
        const owner = uniqueWord('ct');
        await put(
          entryFor({ owner, name: 'in-title' }, { title: `Daily ${word} totals` }),
          entryFor({ owner, name: 'in-description' }, { description: `Gauges recording ${word} and ${second}.` }),
          entryFor({ owner, name: 'in-keywords' }, { keywords: ['hydrology', word] }),
          entryFor({ owner, name: 'absent' }, { title: 'Unrelated' }),
        );
        const hits = await store.search({ q: word, limit: 10 });
        expect(hits.items.map(keyOf).sort()).toEqual([`${owner}/in-description`, `${owner}/in-keywords`, `${owner}/in-title`]);
        expect((await store.search({ q: `${word} ${second}`, limit: 10 })).items.map(keyOf)).toEqual([`${owner}/in-description`]);
        expect((await store.search({ q: uniqueWord('w'), limit: 10 })).items).toEqual([]);
      });

      it('combines every filter', async () => {
        const [owner, other] = [uniqueWord('ct'), uniqueWord('ct')];
        const [word, keyword] = [uniqueWord('w'), uniqueWord('kw')];
        const recent = new Date('2025-03-01T00:00:00.000Z');
        const match = entryFor({ owner, name: 'match' }, { title: `About ${word}`, keywords: [keyword], updatedAt: recent });
        await put(
          match,
          entryFor({ owner: other, name: 'other-owner' }, { title: `About ${word}`, keywords: [keyword], updatedAt: recent }),
          entryFor({ owner, name: 'no-keyword' }, { title: `About ${word}`, keywords: [], updatedAt: recent }),
          entryFor({ owner, name: 'no-word' }, { title: 'About nothing', keywords: [keyword], updatedAt: recent }),
          entryFor(
            { owner, name: 'stale' },
            { title: `About ${word}`, keywords: [keyword], updatedAt: new Date('2020-01-01T00:00:00.000Z') },
          ),
        );
        const page = await store.search({ owner, keyword, q: word, updatedSince: new Date('2025-01-01T00:00:00.000Z'), limit: 10 });
        expect(page.items).toEqual([match]);
      });

      it('orders by relevance with q: title before keywords before description', async () => {
        const word = uniqueWord('w');
        const owner = uniqueWord('ct');
        // Key order is the reverse of relevance order, so a store that ignores relevance fails.
        await put(
          entryFor({ owner, name: 'a-description' }, { title: 'Plain', description: `Mentions ${word} once.`, keywords: [] }),
          entryFor({ owner, name: 'b-keywords' }, { title: 'Plain', description: 'Nothing here.', keywords: [word] }),
          entryFor({ owner, name: 'c-title' }, { title: `${word} observations`, description: 'Nothing here.', keywords: [] }),
        );
        const names = (await store.search({ q: word, limit: 10 })).items.map((entry) => entry.id.name);
        if (ranked(3)) expect(names).toEqual(['c-title', 'b-keywords', 'a-description']);
        else expect(names).toEqual(['a-description', 'b-keywords', 'c-title']);
      });

      it('pages through (owner, name) order with keyset cursors: no duplicates, no gaps', async () => {
        const owner = uniqueWord('ct');
        const names = ['g', 'a', 'f', 'b', 'e', 'c', 'd'];
        await put(...names.map((name) => entryFor({ owner, name })));
        const first = await store.search({ owner, limit: 3 });
        expect(first.items.map((entry) => entry.id.name)).toEqual(['a', 'b', 'c']);
        expect(typeof first.nextCursor).toBe('string');
        const all = await searchAll({ owner, limit: 3 });
        expect(all.map((entry) => entry.id.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
        const exact = await store.search({ owner, limit: 7 });
        expect(exact.items).toHaveLength(7);
        expect(exact.nextCursor).toBeUndefined();
      });

      it('orders by owner first, then name (not by the joined "owner/name" string)', async () => {
        const base = uniqueWord('ct');
        const keyword = uniqueWord('kw');
        // '-' and '.' sort before '/': joined strings would put `${base}-x/a` before `${base}/z`.
        const ids = [
          { owner: `${base}.y`, name: 'a' },
          { owner: base, name: 'z' },
          { owner: `${base}-x`, name: 'm' },
          { owner: base, name: 'b' },
          { owner: `${base}-x`, name: 'a' },
        ];
        await put(...ids.map((id) => entryFor(id, { keywords: [keyword] })));
        const expected = [...ids].sort(compareIds);
        expect(expected.map((id) => id.owner)).toEqual([base, base, `${base}-x`, `${base}-x`, `${base}.y`]);
        expect((await searchAll({ keyword, limit: 2 })).map(idOf)).toEqual(expected);
      });

      it('pages through relevance order with ties, no duplicates and no gaps', async () => {
        const word = uniqueWord('w');
        const owner = uniqueWord('ct');
        const tied = ['t1', 't2', 't3', 't4', 't5'].map((name) => entryFor({ owner, name }, { title: `${word} series`, keywords: [] }));
        const lower = ['l1', 'l2', 'l3'].map((name) =>
          entryFor({ owner, name }, { title: 'Series', description: `About ${word}.`, keywords: [] }),
        );
        await put(...lower, ...tied);
        const onePage = (await store.search({ q: word, limit: 100 })).items;
        expect(onePage).toHaveLength(8);
        for (const limit of [1, 2, 3]) {
          const paged = await searchAll({ q: word, limit });
          expect(paged.map(keyOf)).toEqual(onePage.map(keyOf));
        }
        expect(onePage.map((entry) => entry.id.name)).toEqual(
          ranked(8) ? ['t1', 't2', 't3', 't4', 't5', 'l1', 'l2', 'l3'] : ['l1', 'l2', 'l3', 't1', 't2', 't3', 't4', 't5'],
        );
      });

      it('pages through many equally relevant matches in (owner, name) order, with the other filters too: no duplicates, no gaps', async () => {
        const [word, keyword] = [uniqueWord('w'), uniqueWord('kw')];
        const [owner, other] = [uniqueWord('ct'), uniqueWord('ct')];
        const names = Array.from({ length: 23 }, (_, index) => `d${String(index).padStart(2, '0')}`);
        // Identical text, so every match ranks the same and ties go in key order; written in no particular order.
        const same = (id: DatasetId, keywords: string[]) => entryFor(id, { title: `${word} series`, description: 'Same.', keywords });
        const shuffled = names.map((_, index) => names[(index * 7) % names.length]!);
        await put(
          ...shuffled.map((name) => same({ owner, name }, Number(name.slice(1)) % 3 === 0 ? ['other', keyword] : ['other'])),
          ...names.slice(0, 5).map((name) => same({ owner: other, name }, [keyword])),
        );
        const mine = names.map((name) => `${owner}/${name}`);
        const withKeyword = names.filter((name) => Number(name.slice(1)) % 3 === 0).map((name) => `${owner}/${name}`);
        for (const limit of [1, 4, 23, 50]) {
          expect((await searchAll({ q: word, owner, limit })).map(keyOf)).toEqual(mine);
          expect((await searchAll({ q: word, owner, keyword, limit })).map(keyOf)).toEqual(withKeyword);
        }
        const everywhere = (await searchAll({ q: word, limit: 6 })).map(keyOf);
        expect(everywhere).toHaveLength(28);
        expect(new Set(everywhere).size).toBe(28);
        expect(everywhere).toEqual([...everywhere].sort((a, b) => compareIds(idFromKey(a), idFromKey(b))));
      });

      it('keeps the keyword filter in step with the row: changed and repeated keywords, tombstones, re-creation', async () => {
        const owner = uniqueWord('ct');
        const [kept, dropped, added] = [uniqueWord('kw'), uniqueWord('kw'), uniqueWord('kw')];
        const id = { owner, name: 'changing' };
        const found = async (keyword: string) => (await searchAll({ keyword, limit: 10 })).map(keyOf);
        await put(entryFor(id, { keywords: [kept, dropped, kept] }));
        expect(await found(kept)).toEqual([`${owner}/changing`]);
        expect(await found(dropped)).toEqual([`${owner}/changing`]);
        await put(entryFor(id, { keywords: [added, kept] }));
        expect(await found(dropped)).toEqual([]);
        expect(await found(added)).toEqual([`${owner}/changing`]);
        expect(await found(kept)).toEqual([`${owner}/changing`]);
        // An update that fails as a whole changes no keyword either.
        const taken = randomUUID();
        await expect(
          store.apply({
            dataset: id,
            entry: entryFor(id, { keywords: [dropped] }),
            events: [eventFor(id, 'dataset.updated', taken), eventFor(id, 'dataset.updated', taken)],
          }),
        ).rejects.toThrow();
        expect(await found(dropped)).toEqual([]);
        expect(await found(added)).toEqual([`${owner}/changing`]);

        await store.apply({ dataset: id, deletedAt: new Date() });
        expect(await found(kept)).toEqual([]);
        expect(await found(added)).toEqual([]);
        // A row written as deleted (as the sync records a dataset gone from storage) is not found either.
        await put(entryFor({ owner, name: 'tombstone' }, { keywords: [kept], deleted: true }));
        expect(await found(kept)).toEqual([]);

        await put(entryFor(id, { keywords: [kept] }));
        expect(await found(kept)).toEqual([`${owner}/changing`]);
        expect(await found(added)).toEqual([]);
        await put(entryFor(id, { keywords: [] }));
        expect(await found(kept)).toEqual([]);
      });

      it('pages through combined filters', async () => {
        const owner = uniqueWord('ct');
        const keyword = uniqueWord('kw');
        await put(
          ...['a', 'b', 'c', 'd', 'e'].map((name) => entryFor({ owner, name }, { keywords: [keyword] })),
          entryFor({ owner, name: 'bb' }, { keywords: ['other'] }),
        );
        const found = await searchAll({ owner, keyword, limit: 2 });
        expect(found.map((entry) => entry.id.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('rejects a malformed cursor with VALIDATION_FAILED', async () => {
        for (const cursor of ['not-a-cursor', Buffer.from('not a cursor').toString('base64url')]) {
          await expect(store.search({ limit: 5, cursor })).rejects.toEqual(withCode('VALIDATION_FAILED'));
          await expect(store.search({ q: 'anything', limit: 5, cursor })).rejects.toEqual(withCode('VALIDATION_FAILED'));
        }
      });
    });

    it('scans every row, deleted ones included, in (owner, name) order', async () => {
      const owner = uniqueWord('ct');
      await put(entryFor({ owner, name: 'b' }), entryFor({ owner, name: 'a' }), entryFor({ owner, name: 'c' }));
      await store.apply({ dataset: { owner, name: 'b' }, deletedAt: new Date() });
      const seen: CatalogEntry[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 1000; pages++) {
        const page = await store.scan({ limit: 7, ...(cursor !== undefined ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(7);
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (cursor === undefined) break;
      }
      expect(cursor).toBeUndefined();
      for (let index = 1; index < seen.length; index++) expect(compareIds(seen[index - 1]!.id, seen[index]!.id)).toBeLessThan(0);
      const mine = seen.filter((entry) => entry.id.owner === owner);
      expect(mine.map((entry) => [entry.id.name, entry.deleted])).toEqual([
        ['a', false],
        ['b', true],
        ['c', false],
      ]);
    });
  });
}
