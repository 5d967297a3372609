import { DatasetService } from '@metastore/datasets';
import type { DatasetId } from '@metastore/storage';
import { InMemoryDatasetStorage, RememberingDatasetStorage } from '@metastore/storage/testing';
import { TagService } from '@metastore/tags';
import { InMemoryCatalogStore } from '../testing/in-memory.catalog';
import { InMemoryChangeJournal } from '../testing/in-memory.change-journal';
import type { ChangeJournal } from './change-journal.port';
import { CatalogedStorage, TAG_REUSE_MS } from './cataloged.storage';

const events = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 2048,
  descriptorUrl: (id: DatasetId, revision: string) => `http://api/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const ada = { name: 'Ada Lovelace', email: 'ada@example.com' };
const id: DatasetId = { owner: 'acme', name: 'rain' };
const other: DatasetId = { owner: 'acme', name: 'snow' };
const descriptor = { name: 'rain', title: 'Rainfall', resources: [{ name: 'daily', path: 'daily.csv' }] };

async function setup(options: { storage?: InMemoryDatasetStorage; journal?: ChangeJournal } = {}) {
  const storage = options.storage ?? new InMemoryDatasetStorage();
  const catalog = new InMemoryCatalogStore();
  const now = { ms: Date.parse('2026-12-05T12:00:00Z') };
  const cataloged = new CatalogedStorage(storage, catalog, {
    events,
    clock: () => new Date(now.ms),
    ...(options.journal ? { journal: options.journal } : {}),
  });
  const datasets = new DatasetService({ storage: cataloged });
  const tags = new TagService(cataloged);
  const created = (await datasets.create(id, descriptor, { author: ada })).revision.sha;
  const updated = (await datasets.patch(id, { title: 'Rainfall, revised' }, { author: ada })).revision.sha;
  await tags.create(id, { name: 'v1', ref: created, author: ada });
  return { storage, catalog, now, cataloged, datasets, tags, created, updated };
}

describe('CatalogedStorage.peekRef (what resolveRef answers, known without waiting)', () => {
  it('answers a tag from the catalog answer resolveRef reuses, for TAG_REUSE_MS on its clock, then undefined', async () => {
    const { now, cataloged, created } = await setup();
    // The tag write forgot the dataset's tags: nothing is known until the catalog is asked.
    expect(cataloged.peekRef(id, 'v1')).toBeUndefined();
    expect(await cataloged.resolveRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(other, 'v1')).toBeUndefined();
    now.ms += TAG_REUSE_MS - 1;
    expect(cataloged.peekRef(id, 'v1')).toBe(created);
    now.ms += 2;
    expect(cataloged.peekRef(id, 'v1')).toBeUndefined();
    expect(await cataloged.resolveRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(id, 'v1')).toBe(created);
  });

  it.each([
    ['moves', 'move'],
    ['deletes', 'delete'],
    ['deletes with its dataset', 'delete dataset'],
  ] as const)('forgets at once a tag this process %s', async (_label, change) => {
    const { cataloged, datasets, tags, created, updated } = await setup();
    expect(await cataloged.resolveRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(id, 'v1')).toBe(created);
    if (change === 'move') await tags.update(id, 'v1', { ref: updated, force: true, author: ada });
    else if (change === 'delete') await tags.delete(id, 'v1');
    else await datasets.delete(id, { author: ada });
    expect(cataloged.peekRef(id, 'v1')).toBeUndefined();
  });

  it('answers nothing for a name the catalog holds no tag of, which resolveRef leaves to the backend', async () => {
    const { cataloged, updated } = await setup();
    expect(await cataloged.resolveRef(id, 'main')).toBe(updated);
    await expect(cataloged.resolveRef(id, 'nope')).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
    expect([cataloged.peekRef(id, 'main'), cataloged.peekRef(id, 'nope')]).toEqual([undefined, undefined]);
  });

  it('answers the head and full shas as the backend does: nothing from one without peekRef', async () => {
    const plain = await setup();
    expect(await plain.cataloged.resolveRef(id)).toBe(plain.updated);
    expect(await plain.cataloged.resolveRef(id, plain.created)).toBe(plain.created);
    expect([plain.cataloged.peekRef(id), plain.cataloged.peekRef(id, plain.created)]).toEqual([undefined, undefined]);

    const backend = new RememberingDatasetStorage();
    const remembering = await setup({ storage: backend });
    expect(remembering.cataloged.peekRef(id)).toBeUndefined();
    expect(await remembering.cataloged.resolveRef(id)).toBe(remembering.updated);
    expect(remembering.cataloged.peekRef(id)).toBe(remembering.updated);
    // A full sha the catalog answers for never reaches the backend, which then does not know it: no answer.
    expect(await remembering.cataloged.resolveRef(id, remembering.created)).toBe(remembering.created);
    expect(remembering.cataloged.peekRef(id, remembering.created)).toBe(backend.peekRef(id, remembering.created));
  });

  it('answers a tag as the backend does while the journal holds changes, since resolveRef asks the backend then', async () => {
    const journal = new InMemoryChangeJournal();
    const storage = new RememberingDatasetStorage();
    const { catalog, cataloged, created } = await setup({ storage, journal });
    expect(await cataloged.resolveRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(id, 'v1')).toBe(created);
    // The catalog is down while another dataset is created: its change waits in the journal, and the catalog is behind.
    catalog.down = true;
    await new DatasetService({ storage: cataloged }).create(other, { ...descriptor, name: 'snow' }, { author: ada });
    catalog.down = false;
    expect(journal.pendingNow()).toBe(1);
    // The catalog's answer of a moment ago is no longer what resolveRef would use: the backend has not resolved v1 yet.
    expect(storage.peekRef(id, 'v1')).toBeUndefined();
    expect(cataloged.peekRef(id, 'v1')).toBeUndefined();
    expect(await cataloged.resolveRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(id, 'v1')).toBe(created);
    expect(storage.peekRef(id, 'v1')).toBe(created);
  });

  it('answers no tag when the journal cannot tell without waiting whether changes wait (no pendingNow)', async () => {
    const inner = new InMemoryChangeJournal();
    const journal: ChangeJournal = {
      append: (change) => inner.append(change),
      read: (limit) => inner.read(limit),
      remove: (entry) => inner.remove(entry),
      setAside: (entry, reason) => inner.setAside(entry, reason),
      pending: () => inner.pending(),
    };
    const { cataloged, created } = await setup({ journal });
    expect(await cataloged.resolveRef(id, 'v1')).toBe(created);
    expect(cataloged.peekRef(id, 'v1')).toBeUndefined();
  });
});
