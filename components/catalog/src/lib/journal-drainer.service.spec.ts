import { DatasetService } from '@metastore/datasets';
import { StorageUnavailableError } from '@metastore/errors';
import type { MetastoreEvent } from '@metastore/events';
import { RevisionService } from '@metastore/revisions';
import type { Author, DatasetId } from '@metastore/storage';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { TagService } from '@metastore/tags';
import { InMemoryChangeJournal } from '../testing/in-memory.change-journal';
import { InMemoryCatalogStore } from '../testing/in-memory.catalog';
import type { ApplyOutcome, CatalogUpdate } from './catalog.model';
import { CatalogSync } from './catalog-sync.service';
import { CatalogedStorage } from './cataloged.storage';
import { JournalDrainer } from './journal-drainer.service';

const events = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 64 * 1024,
  descriptorUrl: (id: DatasetId, revision: string) => `http://api/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const ada: Author = { name: 'Ada Lovelace', email: 'ada@example.com' };
const grace: Author = { name: 'Grace Hopper', email: 'grace@example.com' };
const rain: DatasetId = { owner: 'acme', name: 'rain' };
const wind: DatasetId = { owner: 'acme', name: 'wind' };
const snow: DatasetId = { owner: 'polar', name: 'snow' };
const descriptor = (title: string) => ({ name: 'sample', title, resources: [{ name: 'daily', path: 'daily.csv' }] });

/** A clock a minute further on each call: distinct, second-aligned times as git records them. */
function tickingClock(start = '2024-03-01T00:00:00Z'): () => Date {
  let time = Date.parse(start);
  return () => new Date((time += 60_000));
}

/**
 * A catalog that can lose the answer to an update it applied (a connection cut after COMMIT), or refuse one dataset's updates while
 * answering.
 */
class FaultyCatalog extends InMemoryCatalogStore {
  loseNextAnswer = false;
  failNextApply = false;
  refuseUpdatesOf: string | undefined;

  override async apply(update: CatalogUpdate): Promise<ApplyOutcome> {
    if (this.failNextApply) {
      this.failNextApply = false;
      throw new StorageUnavailableError('connection terminated');
    }
    if (this.refuseUpdatesOf === `${update.dataset.owner}/${update.dataset.name}`)
      throw new StorageUnavailableError('value too long for type character varying(200)');
    const outcome = await super.apply(update);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new StorageUnavailableError('connection terminated after COMMIT');
    }
    return outcome;
  }
}

/** The API's wiring with a journal: writes through CatalogedStorage, a drainer, and the sync worker's reconcile on the same catalog. */
function world() {
  const storage = new InMemoryDatasetStorage(tickingClock());
  const catalog = new FaultyCatalog();
  const journal = new InMemoryChangeJournal();
  const clock = tickingClock('2024-06-01T00:00:00Z');
  let journaled = 0;
  const cataloged = new CatalogedStorage(storage, catalog, { events, clock, journal, onJournaled: () => (journaled += 1) });
  const datasets = new DatasetService({ storage: cataloged });
  return {
    storage,
    catalog,
    journal,
    journaled: () => journaled,
    datasets,
    revisions: new RevisionService(cataloged, datasets),
    tags: new TagService(cataloged, clock),
    drainer: new JournalDrainer(storage, catalog, journal, { events, clock, retryMs: 5, maxRetryMs: 20 }),
    sync: new CatalogSync(storage, catalog, { events, clock }),
  };
}

/** What tells two announcements of one change apart; no two events may share it. */
const changeKey = (event: MetastoreEvent) =>
  `${event.subject} ${event.type} ${event.data.newRevision ?? event.data.oldRevision} ${event.data.tag?.name ?? event.data.previousTag?.name ?? ''}`;
/** Events grouped by dataset (a stable sort): the order that holds when datasets are taken at once. */
const bySubject = (list: readonly MetastoreEvent[]) =>
  [...list].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
const summary = (list: readonly MetastoreEvent[]) =>
  list.map((event) => [
    event.subject,
    event.type,
    event.data.origin,
    event.data.oldRevision,
    event.data.newRevision,
    event.data.tag?.name ?? event.data.previousTag?.name ?? null,
  ]);

describe('JournalDrainer with CatalogedStorage', () => {
  it('journals every change made while the catalog is down and records each with the event it would have had; a sync then adds nothing', async () => {
    const { catalog, journal, journaled, datasets, revisions, tags, drainer, sync } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    await datasets.create(wind, descriptor('Wind'), { author: ada });
    const before = catalog.events.length;

    catalog.down = true;
    const first = await datasets.patch(rain, { title: 'Rain 1' }, { author: grace });
    const v1 = await tags.create(rain, { name: 'v1', author: ada });
    await tags.delete(rain, 'v1', ada);
    const v2 = await tags.create(rain, { name: 'v2', ref: created.revision.sha, author: ada });
    const moved = await tags.update(rain, 'v2', { ref: first.revision.sha, force: true, author: grace });
    const reverted = await revisions.revert(rain, created.revision.sha, { author: grace });
    const snowCreated = await datasets.create(snow, descriptor('Snow'), { author: ada });
    const snowPatched = await datasets.patch(snow, { title: 'Snow, again' }, { author: ada });
    await datasets.delete(wind, { author: grace });

    expect(catalog.events).toHaveLength(before);
    expect(await journal.pending()).toBe(9);
    expect(journaled()).toBe(9);
    // While it is down, reads at a tag come from storage.
    expect((await tags.get(rain, 'v2')).target).toBe(first.revision.sha);

    catalog.down = false;
    expect(await drainer.drain()).toEqual({ applied: 9, stale: 0, setAside: 0 });
    expect(await journal.pending()).toBe(0);
    // Datasets are drained at once: the order holds within each.
    const recorded = bySubject(catalog.events.slice(before));
    const windHead = (await catalog.getDataset(wind))!.headRevision;
    expect(summary(recorded)).toEqual([
      ['acme/rain', 'dataset.updated', 'api', created.revision.sha, first.revision.sha, null],
      ['acme/rain', 'tag.created', 'api', null, first.revision.sha, 'v1'],
      ['acme/rain', 'tag.deleted', 'api', first.revision.sha, null, 'v1'],
      ['acme/rain', 'tag.created', 'api', null, created.revision.sha, 'v2'],
      ['acme/rain', 'tag.updated', 'api', created.revision.sha, first.revision.sha, 'v2'],
      ['acme/rain', 'dataset.reverted', 'api', first.revision.sha, reverted.revision.sha, null],
      ['acme/wind', 'dataset.deleted', 'api', windHead, null, null],
      ['polar/snow', 'dataset.created', 'api', null, snowCreated.revision.sha, null],
      ['polar/snow', 'dataset.updated', 'api', snowCreated.revision.sha, snowPatched.revision.sha, null],
    ]);
    expect(recorded[1]!.data.tag).toMatchObject({ target: v1.target, createdAt: v1.createdAt });
    expect(recorded[4]!.data).toMatchObject({ previousTag: { target: v2.target }, tag: { target: moved.target }, author: grace });
    expect(recorded[5]!.data).toMatchObject({ revertedTo: created.revision.sha, author: grace });
    expect(recorded[0]!.data.changes).toMatchObject({ fields: ['title'] });
    // The row keeps its creation time, which nobody could read from the catalog while it was down.
    expect(await catalog.getDataset(rain)).toMatchObject({
      headRevision: reverted.revision.sha,
      createdAt: new Date(created.revision.timestamp),
      title: 'Rain',
    });
    expect(await catalog.getDataset(snow)).toMatchObject({
      headRevision: snowPatched.revision.sha,
      createdAt: new Date(snowCreated.revision.timestamp),
    });
    expect((await catalog.listTags(rain)).map((tag) => [tag.name, tag.target])).toEqual([['v2', first.revision.sha]]);

    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0, failures: 0 });
    expect(catalog.events).toHaveLength(before + 9);
  });

  it('drops as stale what a sync recorded first (nothing twice) and still records what the sync could not see, such as a tag created and deleted', async () => {
    const { catalog, journal, datasets, revisions, tags, drainer, sync } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    const first = await datasets.patch(rain, { title: 'Rain 1' }, { author: ada });
    const before = catalog.events.length;

    catalog.down = true;
    const snowCreated = await datasets.create(snow, descriptor('Snow'), { author: ada });
    await tags.create(snow, { name: 'v1', author: ada });
    const snowPatched = await datasets.patch(snow, { title: 'Snow 2' }, { author: ada });
    await tags.update(snow, 'v1', { ref: snowPatched.revision.sha, force: true, author: ada });
    const reverted = await revisions.revert(rain, created.revision.sha, { author: grace });
    await tags.create(rain, { name: 'short-lived', author: ada });
    await tags.delete(rain, 'short-lived', ada);
    expect(await journal.pending()).toBe(7);

    // The sync worker runs before the API drains: it records what git shows, without what git does not keep.
    catalog.down = false;
    expect(await sync.reconcile()).toMatchObject({ created: 1, updated: 2, tagChanges: 1, failures: 0 });
    expect(await drainer.drain()).toEqual({ applied: 2, stale: 5, setAside: 0 });

    const recorded = catalog.events.slice(before);
    expect(new Set(recorded.map(changeKey)).size).toBe(recorded.length);
    // The sync takes datasets concurrently: the order holds within each.
    expect(summary(bySubject(recorded))).toEqual([
      ['acme/rain', 'dataset.updated', 'sync', first.revision.sha, reverted.revision.sha, null],
      ['acme/rain', 'tag.created', 'api', null, reverted.revision.sha, 'short-lived'],
      ['acme/rain', 'tag.deleted', 'api', reverted.revision.sha, null, 'short-lived'],
      ['polar/snow', 'dataset.created', 'sync', null, snowCreated.revision.sha, null],
      ['polar/snow', 'dataset.updated', 'sync', snowCreated.revision.sha, snowPatched.revision.sha, null],
      ['polar/snow', 'tag.created', 'sync', null, snowPatched.revision.sha, 'v1'],
    ]);
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0 });
  });

  it('records first what the catalog missed before the outage (a process killed between git and the catalog), then each journaled change as made', async () => {
    const { storage, catalog, datasets, revisions, tags, drainer, sync } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    const first = await tags.create(rain, { name: 'v1', author: ada });
    // Written to git by a process killed before it recorded them: a tag deletion and a commit the catalog never saw.
    await storage.deleteTag(rain, 'v1');
    const missed = await storage.commit(rain, {
      parent: created.revision.sha,
      changes: [{ path: 'datapackage.json', content: JSON.stringify(descriptor('Missed')) }],
      message: 'killed before recording',
      author: grace,
    });
    const before = catalog.events.length;

    catalog.down = true;
    const again = await tags.create(rain, { name: 'v1', ref: created.revision.sha, author: ada });
    await tags.delete(rain, 'v1', ada);
    await tags.create(rain, { name: 'v1', author: grace });
    const reverted = await revisions.revert(rain, created.revision.sha, { author: grace });
    catalog.down = false;

    expect(await drainer.drain()).toEqual({ applied: 4, stale: 0, setAside: 0 });
    const recorded = catalog.events.slice(before);
    expect(summary(recorded)).toEqual([
      ['acme/rain', 'tag.deleted', 'sync', first.target, null, 'v1'],
      ['acme/rain', 'tag.created', 'api', null, again.target, 'v1'],
      ['acme/rain', 'tag.deleted', 'api', again.target, null, 'v1'],
      ['acme/rain', 'tag.created', 'api', null, missed.sha, 'v1'],
      ['acme/rain', 'dataset.updated', 'sync', created.revision.sha, missed.sha, null],
      ['acme/rain', 'dataset.reverted', 'api', missed.sha, reverted.revision.sha, null],
    ]);
    expect(recorded.at(-1)!.data).toMatchObject({ revertedTo: created.revision.sha, author: grace });
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0 });
  });

  it('journals, with the change, the creation it found the catalog had missed, and records both', async () => {
    const { storage, catalog, journal, datasets, tags, drainer } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    const unrecorded = await storage.createTag(rain, {
      name: 'v1',
      target: created.revision.sha,
      description: '',
      author: grace,
      timestamp: new Date('2024-01-01T00:00:00Z'),
    });
    catalog.failNextApply = true;
    await tags.delete(rain, 'v1', ada);
    expect(journal.changes().map((entry) => [entry.missed?.type, entry.change.type])).toEqual([['tag.created', 'tag.deleted']]);
    expect(await drainer.drain()).toEqual({ applied: 1, stale: 0, setAside: 0 });
    expect(summary(catalog.events.slice(1))).toEqual([
      ['acme/rain', 'tag.created', 'sync', null, unrecorded.target, 'v1'],
      ['acme/rain', 'tag.deleted', 'api', unrecorded.target, null, 'v1'],
    ]);
  });

  it('records the creation of a tag the catalog never recorded before its deletion journaled while the catalog was down', async () => {
    const { storage, catalog, datasets, tags, drainer, sync } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    // Written to git by a process killed before it recorded the tag: the catalog never sees it.
    const unrecorded = await storage.createTag(rain, {
      name: 'v1',
      target: created.revision.sha,
      description: '',
      author: grace,
      timestamp: new Date('2024-01-01T00:00:00Z'),
    });
    catalog.down = true;
    await tags.delete(rain, 'v1', ada);
    catalog.down = false;

    expect(await drainer.drain()).toEqual({ applied: 1, stale: 0, setAside: 0 });
    expect(summary(catalog.events.slice(1))).toEqual([
      ['acme/rain', 'tag.created', 'sync', null, unrecorded.target, 'v1'],
      ['acme/rain', 'tag.deleted', 'api', unrecorded.target, null, 'v1'],
    ]);
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0 });
  });

  it('drops a journaled deletion of a tag whose deletion the sync announced first', async () => {
    const { catalog, datasets, tags, drainer, sync } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    const v1 = await tags.create(rain, { name: 'v1', author: ada });
    catalog.down = true;
    await tags.delete(rain, 'v1', ada);
    catalog.down = false;
    expect(await sync.reconcile()).toMatchObject({ tagChanges: 1 });

    expect(await drainer.drain()).toEqual({ applied: 0, stale: 1, setAside: 0 });
    expect(summary(catalog.events.slice(2))).toEqual([['acme/rain', 'tag.deleted', 'sync', v1.target, null, 'v1']]);
  });

  it('queues changes made after the catalog answers again behind the journaled ones, so their order holds', async () => {
    const { catalog, journal, datasets, tags, drainer } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    const before = catalog.events.length;
    catalog.down = true;
    const v1 = await tags.create(rain, { name: 'v1', author: ada });
    catalog.down = false;

    // The catalog answers, but is behind: the deletion waits behind the creation rather than be applied (and found stale) now.
    await tags.delete(rain, 'v1', ada);
    expect(catalog.events).toHaveLength(before);
    expect(await journal.pending()).toBe(2);
    await expect(tags.get(rain, 'v1')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });

    await drainer.drain();
    expect(summary(catalog.events.slice(before))).toEqual([
      ['acme/rain', 'tag.created', 'api', null, v1.target, 'v1'],
      ['acme/rain', 'tag.deleted', 'api', v1.target, null, 'v1'],
    ]);
    // Drained: the next change is recorded directly again.
    await tags.create(rain, { name: 'v2', author: ada });
    expect(await journal.pending()).toBe(0);
    expect(catalog.events.at(-1)!.data.tag?.name).toBe('v2');
  });

  it('drops a change whose update committed though its answer was lost, instead of announcing it twice', async () => {
    const { catalog, journal, datasets, tags, drainer } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    catalog.loseNextAnswer = true;
    await tags.create(rain, { name: 'v1', author: ada });
    expect(await journal.pending()).toBe(1);
    await tags.delete(rain, 'v1', ada);
    expect(await drainer.drain()).toEqual({ applied: 1, stale: 1, setAside: 0 });
    expect(catalog.events.map((event) => event.type)).toEqual(['dataset.created', 'tag.created', 'tag.deleted']);
  });

  it('sets aside an unreadable entry at once, and one the answering catalog keeps refusing after three tries; the others are recorded', async () => {
    const { catalog, journal, datasets, tags, drainer, sync } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    await datasets.create(wind, descriptor('Wind'), { author: ada });
    catalog.down = true;
    await tags.create(rain, { name: 'torn', author: ada });
    await tags.create(wind, { name: 'refused', author: ada });
    await tags.create(rain, { name: 'fine', author: ada });
    catalog.down = false;
    journal.damage([...journal.entries.keys()][0]!);
    catalog.refuseUpdatesOf = 'acme/wind';

    await expect(drainer.drain()).rejects.toThrow(/character varying/);
    await expect(drainer.drain()).rejects.toThrow(/character varying/);
    // Datasets are drained at once: acme/rain's entry did not wait behind acme/wind's.
    expect(await journal.pending()).toBe(1);
    expect(await drainer.drain()).toEqual({ applied: 0, stale: 0, setAside: 1 });
    expect(journal.setAsideEntries.map((entry) => entry.reason)).toEqual([
      expect.stringMatching(/JSON/),
      expect.stringMatching(/refused 3 times/),
    ]);
    expect((await catalog.listTags(rain)).map((tag) => tag.name)).toEqual(['fine']);

    // What was set aside is in git: the sync worker announces it, as found.
    catalog.refuseUpdatesOf = undefined;
    expect(await sync.reconcile()).toMatchObject({ tagChanges: 2 });
    expect(
      catalog.events
        .filter((event) => event.type === 'tag.created')
        .map((event) => `${event.data.tag!.name} ${event.data.origin}`)
        .sort(),
    ).toEqual(['fine api', 'refused sync', 'torn sync']);
  });

  it('fails a write with STORAGE_UNAVAILABLE when neither the catalog nor the journal can record it (the change is in git)', async () => {
    const { storage, catalog, journal, datasets, tags } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    catalog.down = true;
    journal.failAppends = true;
    await expect(tags.create(rain, { name: 'v1', author: ada })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect((await storage.getTag(rain, 'v1')).name).toBe('v1');
  });

  it('runs as a loop: drains what an earlier process left at start, backs off while the catalog is down, and drains once told it answers', async () => {
    const { catalog, journal, datasets, tags, drainer } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    catalog.down = true;
    await tags.create(rain, { name: 'v1', author: ada });
    drainer.start();
    try {
      while (!(await drainer.status()).failingSince) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await drainer.status()).toMatchObject({ pending: 1 });
      catalog.down = false;
      drainer.catalogAnswered();
      while ((await journal.pending()) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      while ((await drainer.status()).failingSince) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(catalog.events.map((event) => event.type)).toEqual(['dataset.created', 'tag.created']);
    } finally {
      await drainer.stop();
    }
  });
});
