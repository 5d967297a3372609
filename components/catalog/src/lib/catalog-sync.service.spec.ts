import { DatasetService, serializeDescriptor, type Descriptor } from '@metastore/datasets';
import { SAMPLE_AUTHORS, SAMPLE_DATASETS, sampleDescriptor, writeSampleHistory } from '@metastore/datasets/testing';
import { StorageUnavailableError } from '@metastore/errors';
import type { MetastoreEvent } from '@metastore/events';
import { RevisionService } from '@metastore/revisions';
import type { ChangedDatasets, CommitRequest, CreateDatasetRequest, DatasetId, Page, PageRequest, Revision } from '@metastore/storage';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { TagService } from '@metastore/tags';
import { InMemoryCatalogStore } from '../testing/in-memory.catalog';
import { InMemorySyncWatermarkStore } from '../testing/in-memory.sync-watermarks';
import type { CatalogEntry, CatalogUpdate } from './catalog.model';
import { CatalogSync, type ReconcileSummary, type SyncLogger } from './catalog-sync.service';
import { CatalogedStorage } from './cataloged.storage';

const events = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 64 * 1024,
  descriptorUrl: (id: DatasetId, revision: string) => `http://api/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const { ada, grace, pusher } = SAMPLE_AUTHORS;
const { rain, wind, snow, fog } = SAMPLE_DATASETS;
const descriptor = sampleDescriptor;
const file = (value: Descriptor) => ({ path: 'datapackage.json', content: serializeDescriptor(value) });

/** A clock a minute further on each call: distinct, second-aligned times as git records them. */
function tickingClock(start = '2024-03-01T00:00:00Z'): () => Date {
  let time = Date.parse(start);
  return () => new Date((time += 60_000));
}

function recordingLogger() {
  const logged: { level: string; object: object; message: string }[] = [];
  const logger: SyncLogger = {
    info: (object, message) => logged.push({ level: 'info', object, message }),
    warn: (object, message) => logged.push({ level: 'warn', object, message }),
    error: (object, message) => logged.push({ level: 'error', object, message }),
  };
  return { logger, logged };
}

/** The API's wiring: writes through CatalogedStorage keep `catalog` incrementally. */
function world(storage = new InMemoryDatasetStorage(tickingClock())) {
  const catalog = new InMemoryCatalogStore();
  const clock = tickingClock('2024-06-01T00:00:00Z');
  const cataloged = new CatalogedStorage(storage, catalog, { events, clock });
  const datasets = new DatasetService({ storage: cataloged });
  const { logger, logged } = recordingLogger();
  return {
    storage,
    catalog,
    datasets,
    revisions: new RevisionService(cataloged, datasets),
    tags: new TagService(cataloged, clock),
    sync: new CatalogSync(storage, catalog, { events, clock, logger }),
    logged,
  };
}

const keyOf = (id: DatasetId) => `${id.owner}/${id.name}`;
const eventsOf = (list: readonly MetastoreEvent[], id: DatasetId) => list.filter((event) => event.subject === keyOf(id));

/** Live rows and their tags, by dataset: what a rebuilt catalog must agree on with an incrementally kept one. */
async function liveContent(catalog: InMemoryCatalogStore) {
  const content: Record<string, { entry: CatalogEntry; tags: unknown }> = {};
  for (const entry of catalog.entries.values()) {
    if (!entry.deleted) content[keyOf(entry.id)] = { entry, tags: await catalog.listTags(entry.id) };
  }
  return content;
}

/** The summary of a reconcile that recorded nothing: every count zero but those given. */
const nothingFound = (counts: Partial<ReconcileSummary>): ReconcileSummary => ({
  datasets: 0,
  changed: 0,
  created: 0,
  updated: 0,
  deleted: 0,
  tagChanges: 0,
  failures: 0,
  fullOwners: 0,
  incrementalOwners: 0,
  ...counts,
});

describe('CatalogSync.reconcile', () => {
  it('finds changes pushed to storage directly and announces each with the right type and revisions', async () => {
    const { storage, catalog, datasets, tags, sync } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    await tags.create(rain, { name: 'v1', description: 'first', author: ada });
    await tags.create(rain, { name: 'moving', description: 'moves', author: ada });
    await tags.create(rain, { name: 'doomed', author: ada });
    await datasets.create(wind, descriptor('Wind'), { author: ada });
    const apiEvents = catalog.events.length;

    // Behind the catalog's back: a commit, tag changes, a new dataset with a tag, a deleted one.
    const pushed = await storage.commit(rain, {
      parent: created.revision.sha,
      changes: [
        file(
          descriptor('Rain, pushed', {
            resources: [
              { name: 'daily', path: 'daily.csv' },
              { name: 'hourly', path: 'hourly.csv' },
            ],
          }),
        ),
      ],
      message: 'Pushed with git',
      author: pusher,
    });
    await storage.replaceTag(rain, { name: 'moving', target: pushed.sha, description: 'moved by hand', author: pusher });
    await storage.deleteTag(rain, 'doomed');
    await storage.createTag(rain, { name: 'v2', target: pushed.sha, description: 'second', author: pusher });
    const snowRevision = await storage.createDataset(snow, { files: [file(descriptor('Snow'))], message: 'Snow via git', author: pusher });
    const snowTag = await storage.createTag(snow, { name: 'v1', target: snowRevision.sha, description: '', author: pusher });
    const windHead = (await catalog.getDataset(wind))!.headRevision;
    await storage.deleteDataset(wind);

    const progress: [number, number][] = [];
    const summary = await sync.reconcile({ onProgress: (done, total) => progress.push([done, total]) });

    expect(summary).toEqual({
      datasets: 3,
      changed: 3,
      created: 1,
      updated: 1,
      deleted: 1,
      tagChanges: 4,
      failures: 0,
      fullOwners: 2,
      incrementalOwners: 0,
    });
    expect(progress[0]).toEqual([0, 3]);
    expect(progress.at(-1)).toEqual([3, 3]);
    const found = catalog.events.slice(apiEvents);
    expect(found.every((event) => event.data.origin === 'sync')).toBe(true);

    // One dataset's changes are recorded together, dataset first, tags in name order.
    expect(eventsOf(found, rain).map((event) => [event.type, event.data.tag?.name ?? event.data.previousTag?.name])).toEqual([
      ['dataset.updated', undefined],
      ['tag.deleted', 'doomed'],
      ['tag.updated', 'moving'],
      ['tag.created', 'v2'],
    ]);
    const [update, deletedTag, movedTag, newTag] = eventsOf(found, rain);
    expect(update!.data).toMatchObject({
      oldRevision: created.revision.sha,
      newRevision: pushed.sha,
      author: pusher,
      message: 'Pushed with git',
      // The old descriptor was cached by the API's write: the event says what changed.
      changes: { fields: ['title'], resources: { added: ['hourly'], removed: [], modified: [] } },
    });
    expect(update!.time).toBe(pushed.timestamp);
    expect(deletedTag!.data).toMatchObject({ oldRevision: created.revision.sha, newRevision: null, author: null });
    expect(movedTag!.data).toMatchObject({
      oldRevision: created.revision.sha,
      newRevision: pushed.sha,
      tag: { description: 'moved by hand' },
      previousTag: { description: 'moves' },
    });
    expect(newTag!.data).toMatchObject({ newRevision: pushed.sha, author: pusher, tag: { name: 'v2', description: 'second' } });

    expect(eventsOf(found, snow).map((event) => event.type)).toEqual(['dataset.created', 'tag.created']);
    expect(eventsOf(found, snow)[0]!.data).toMatchObject({
      oldRevision: null,
      newRevision: snowRevision.sha,
      author: pusher,
      descriptor: descriptor('Snow'),
    });
    expect(eventsOf(found, snow)[1]!.data.tag).toEqual(snowTag);

    expect(eventsOf(found, wind).map((event) => event.data)).toEqual([
      expect.objectContaining({ oldRevision: windHead, newRevision: null, author: null }),
    ]);
    expect(eventsOf(found, wind)[0]!.type).toBe('dataset.deleted');

    // The rows and tags now say what storage says.
    expect(await catalog.getDataset(rain)).toMatchObject({
      headRevision: pushed.sha,
      title: 'Rain, pushed',
      resourceCount: 2,
      createdAt: new Date(created.revision.timestamp),
    });
    expect((await catalog.listTags(rain)).map((tag) => [tag.name, tag.target])).toEqual([
      ['moving', pushed.sha],
      ['v1', created.revision.sha],
      ['v2', pushed.sha],
    ]);
    expect(await catalog.getDataset(snow)).toMatchObject({
      headRevision: snowRevision.sha,
      title: 'Snow',
      deleted: false,
      createdAt: new Date(snowRevision.timestamp),
    });
    expect(await catalog.listTags(snow)).toEqual([snowTag]);
    expect(await catalog.getDataset(wind)).toMatchObject({ deleted: true });
    expect(await catalog.descriptorAt(rain, pushed.sha)).toBe(
      serializeDescriptor(
        descriptor('Rain, pushed', {
          resources: [
            { name: 'daily', path: 'daily.csv' },
            { name: 'hourly', path: 'hourly.csv' },
          ],
        }),
      ),
    );

    // Nothing is left to find.
    const before = catalog.events.length;
    expect(await sync.reconcile()).toEqual(nothingFound({ datasets: 2, fullOwners: 2 }));
    expect(catalog.events).toHaveLength(before);
  });

  it('applies each dataset in one transaction and reads nothing but the head and tags of unchanged datasets', async () => {
    const { storage, catalog, datasets, tags, sync } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    await tags.create(rain, { name: 'v1', author: ada });
    const applied: unknown[] = [];
    const apply = catalog.apply.bind(catalog);
    catalog.apply = async (update) => {
      applied.push(update);
      return apply(update);
    };
    storage.calls.clear();
    await sync.reconcile();
    expect(applied).toEqual([]);
    expect([...storage.calls.keys()].sort()).toEqual(['listDatasets', 'listOwners', 'listTags', 'resolveRef']);

    const head = await storage.resolveRef(rain);
    await storage.commit(rain, { parent: head, changes: [file(descriptor('Rain 2'))], message: 'direct', author: pusher });
    await storage.deleteTag(rain, 'v1');
    storage.calls.clear();
    await sync.reconcile();
    // A moved head is resolved once, not again to re-index it (the other call is the fake's own, walking history from it).
    expect(storage.calls.get('resolveRef')).toBe(2);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ dataset: rain, entry: { title: 'Rain 2' }, replaceAllTags: [] });
    expect((applied[0] as { events: MetastoreEvent[] }).events.map((event) => event.type)).toEqual(['dataset.updated', 'tag.deleted']);
  });

  it('announces a dataset deleted and created again in storage as created, and a re-created one with its new history', async () => {
    const { storage, catalog, datasets, sync } = world();
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    await datasets.delete(rain, { author: ada });
    const again = await storage.createDataset(rain, { files: [file(descriptor('Rain again'))], message: 'again', author: pusher });
    const before = catalog.events.length;
    expect(await sync.reconcile()).toMatchObject({ created: 1, updated: 0, deleted: 0 });
    expect(catalog.events.slice(before).map((event) => [event.type, event.data.newRevision])).toEqual([['dataset.created', again.sha]]);
    expect(await catalog.getDataset(rain)).toMatchObject({ deleted: false, createdAt: new Date(again.timestamp) });
  });

  it('looks at owners from storage, the catalog and the caller (GitHub lists only configured ones)', async () => {
    /** A storage that, like GitHub without GITHUB_OWNERS, names no owner of its own. */
    class UnlistedOwners extends InMemoryDatasetStorage {
      override async listOwners(): Promise<string[]> {
        return [];
      }
    }
    const { storage, catalog, datasets, sync } = world(new UnlistedOwners(tickingClock()));
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    const pushed = await storage.commit(rain, {
      parent: created.revision.sha,
      changes: [file(descriptor('Rain 2'))],
      message: 'direct',
      author: pusher,
    });
    await storage.createDataset(fog, { files: [file(descriptor('Fog'))], message: 'direct', author: pusher });

    // acme is known from the catalog's row; zeta from nowhere yet.
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, updated: 1, created: 0 });
    expect((await catalog.getDataset(rain))?.headRevision).toBe(pushed.sha);
    expect(await catalog.getDataset(fog)).toBeUndefined();
    expect(await sync.reconcile({ owners: ['zeta'] })).toMatchObject({ datasets: 2, created: 1 });
    expect(await catalog.getDataset(fog)).toMatchObject({ title: 'Fog' });
  });

  it('logs and counts a dataset it cannot read, and goes on with the others', async () => {
    class FlakyStorage extends InMemoryDatasetStorage {
      broken = new Set<string>();
      override async resolveRef(id: DatasetId, ref?: string): Promise<string> {
        if (this.broken.has(keyOf(id))) throw new StorageUnavailableError(`${keyOf(id)} is unreachable`);
        return super.resolveRef(id, ref);
      }
    }
    const flaky = new FlakyStorage(tickingClock());
    const { storage, catalog, datasets, sync, logged } = world(flaky);
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    const windRevision = await storage.createDataset(wind, { files: [file(descriptor('Wind'))], message: 'direct', author: pusher });
    flaky.broken.add(keyOf(rain));
    const snowRevision = await storage.createDataset(snow, { files: [file(descriptor('Snow'))], message: 'direct', author: pusher });

    expect(await sync.reconcile()).toEqual({
      datasets: 3,
      changed: 2,
      created: 2,
      updated: 0,
      deleted: 0,
      tagChanges: 0,
      failures: 1,
      fullOwners: 2,
      incrementalOwners: 0,
    });
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([
      expect.objectContaining({ object: expect.objectContaining({ dataset: 'acme/rain' }) }),
    ]);
    expect((await catalog.getDataset(wind))?.headRevision).toBe(windRevision.sha);
    expect((await catalog.getDataset(snow))?.headRevision).toBe(snowRevision.sha);
    // Its row is left as it was: a failure is not a deletion.
    expect(await catalog.getDataset(rain)).toMatchObject({ deleted: false });
  });

  it('never takes the rows of an owner whose listing failed for deleted', async () => {
    class UnlistableStorage extends InMemoryDatasetStorage {
      override async listDatasets(owner: string, page: PageRequest): Promise<Page<string>> {
        if (owner === 'acme') throw new StorageUnavailableError('listing acme failed');
        return super.listDatasets(owner, page);
      }
    }
    const { catalog, datasets, sync, logged } = world(new UnlistableStorage(tickingClock()));
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    await datasets.create(snow, descriptor('Snow'), { author: ada });
    const before = catalog.events.length;
    expect(await sync.reconcile()).toEqual(nothingFound({ datasets: 1, failures: 1, fullOwners: 1 }));
    expect(catalog.events).toHaveLength(before);
    expect(await catalog.getDataset(rain)).toMatchObject({ deleted: false });
    expect(logged.some((entry) => entry.level === 'error' && (entry.object as { owner?: string }).owner === 'acme')).toBe(true);
  });

  it('records nothing over a dataset the API wrote while storage was being read: the API caught it up, the sync found it moved', async () => {
    class RacingStorage extends InMemoryDatasetStorage {
      meanwhile?: () => Promise<unknown>;
      override async listTags(id: DatasetId, page: PageRequest) {
        const write = this.meanwhile;
        this.meanwhile = undefined;
        await write?.();
        return super.listTags(id, page);
      }
    }
    const racing = new RacingStorage(tickingClock());
    const { storage, catalog, datasets, sync } = world(racing);
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    await storage.commit(rain, { parent: created.revision.sha, changes: [file(descriptor('Pushed'))], message: 'direct', author: pusher });
    racing.meanwhile = () => datasets.patch(rain, { title: 'Meanwhile, through the API' }, { author: ada });
    const before = catalog.events.length;
    expect(await sync.reconcile()).toMatchObject({ updated: 0, tagChanges: 0, failures: 0 });
    // The API found the catalog behind its parent (the push): it announced the push, then its own write; the sync's update expected the old
    // head.
    expect(catalog.events.slice(before).map((event) => [event.type, event.data.origin])).toEqual([
      ['dataset.updated', 'sync'],
      ['dataset.updated', 'api'],
    ]);
    expect((await catalog.getDataset(rain))?.title).toBe('Meanwhile, through the API');
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0 });
  });

  it('stops taking datasets once its signal aborts', async () => {
    const { storage, catalog } = world();
    const sync = new CatalogSync(storage, catalog, { events, concurrency: 1 });
    for (const name of ['a', 'b', 'c', 'd'])
      await storage.createDataset({ owner: 'acme', name }, { files: [file(descriptor(name))], message: 'direct', author: pusher });
    const controller = new AbortController();
    const summary = await sync.reconcile({ signal: controller.signal, onProgress: (done) => done === 1 && controller.abort() });
    expect(summary.datasets).toBe(4);
    expect(summary.created).toBe(1);
    expect(catalog.entries.size).toBe(1);
  });

  it('leaves a repository without a descriptor alone, as the API does', async () => {
    const { storage, catalog, sync } = world();
    await storage.createDataset(rain, { files: [{ path: 'README.md', content: 'not a dataset yet' }], message: 'direct', author: pusher });
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, created: 0, failures: 0 });
    expect(await catalog.getDataset(rain)).toBeUndefined();
  });
});

describe('CatalogSync.reconcile after the catalog was down', () => {
  /** What identifies a change: no two events may share it. */
  const changeKey = (event: MetastoreEvent) =>
    `${event.subject} ${event.type} ${event.data.newRevision ?? event.data.oldRevision} ${event.data.tag?.name ?? event.data.previousTag?.name ?? ''}`;

  it('announces every write acknowledged while it was down exactly once: each revision in order, each tag, a new dataset, a deletion', async () => {
    const { catalog, datasets, tags, sync } = world();
    const rainCreated = await datasets.create(rain, descriptor('Rain'), { author: ada });
    await datasets.create(wind, descriptor('Wind'), { author: ada });
    await tags.create(rain, { name: 'v1', author: ada });
    const before = catalog.events.length;

    catalog.down = true;
    const rainRevisions: string[] = [];
    for (let i = 1; i <= 12; i++) rainRevisions.push((await datasets.patch(rain, { title: `Rain ${i}` }, { author: grace })).revision.sha);
    const snowRevisions = [
      (await datasets.create(snow, descriptor('Snow'), { author: ada })).revision.sha,
      (await datasets.patch(snow, { title: 'Snow 2' }, { author: ada })).revision.sha,
    ];
    await tags.create(snow, { name: 'v1', author: ada });
    await tags.create(snow, { name: 'v2', author: ada });
    await tags.create(rain, { name: 'v2', author: ada });
    await datasets.delete(wind, { author: ada });
    catalog.down = false;
    expect(catalog.events).toHaveLength(before);

    expect(await sync.reconcile()).toEqual({
      datasets: 3,
      changed: 3,
      created: 1,
      updated: 13,
      deleted: 1,
      tagChanges: 3,
      failures: 0,
      fullOwners: 2,
      incrementalOwners: 0,
    });
    const found = catalog.events.slice(before);
    const rainUpdates = eventsOf(found, rain).filter((event) => event.type === 'dataset.updated');
    expect(rainUpdates.map((event) => event.data.newRevision)).toEqual(rainRevisions);
    // A chain: each event's old revision is the one announced before it, and says what changed since.
    expect(rainUpdates.map((event) => event.data.oldRevision)).toEqual([rainCreated.revision.sha, ...rainRevisions.slice(0, -1)]);
    expect(rainUpdates.every((event) => event.data.changes?.fields.includes('title'))).toBe(true);
    expect(rainUpdates.map((event) => event.data.descriptor?.['title'])).toEqual(rainRevisions.map((_, index) => `Rain ${index + 1}`));
    expect(eventsOf(found, snow).map((event) => [event.type, event.data.newRevision ?? event.data.tag?.name])).toEqual([
      ['dataset.created', snowRevisions[0]],
      ['dataset.updated', snowRevisions[1]],
      ['tag.created', snowRevisions[1]],
      ['tag.created', snowRevisions[1]],
    ]);
    expect(eventsOf(found, wind).map((event) => event.type)).toEqual(['dataset.deleted']);
    expect(new Set(found.map(changeKey)).size).toBe(found.length);
    expect(found.every((event) => event.data.origin === 'sync')).toBe(true);

    // A second run finds nothing more to announce.
    expect(await sync.reconcile()).toEqual(nothingFound({ datasets: 2, fullOwners: 2 }));
    expect(catalog.events).toHaveLength(before + found.length);
  });

  it('announces once the tags of a dataset created while it was down and tagged after it came back', async () => {
    const { catalog, datasets, tags, sync } = world();
    catalog.down = true;
    const created = await datasets.create(snow, descriptor('Snow'), { author: ada });
    catalog.down = false;
    await tags.create(snow, { name: 'v1', author: ada });
    expect(await sync.reconcile()).toMatchObject({ created: 1, tagChanges: 0, failures: 0 });
    expect(catalog.events.map((event) => [event.type, event.data.origin, event.data.newRevision])).toEqual([
      ['tag.created', 'api', created.revision.sha],
      ['dataset.created', 'sync', created.revision.sha],
    ]);
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, tagChanges: 0 });
  });

  it('adds nothing when it records a change before the API that made it does (a sync racing the API)', async () => {
    /** Runs `meanwhile` after a write reached git and before the catalog decorator records it. */
    class RacingWrites extends InMemoryDatasetStorage {
      meanwhile?: () => Promise<unknown>;
      private async race<T>(result: T): Promise<T> {
        const run = this.meanwhile;
        this.meanwhile = undefined;
        await run?.();
        return result;
      }
      override async commit(id: DatasetId, request: Parameters<InMemoryDatasetStorage['commit']>[1]) {
        return this.race(await super.commit(id, request));
      }
      override async createTag(id: DatasetId, request: Parameters<InMemoryDatasetStorage['createTag']>[1]) {
        return this.race(await super.createTag(id, request));
      }
    }
    const racing = new RacingWrites(tickingClock());
    const { catalog, datasets, tags, sync } = world(racing);
    await datasets.create(rain, descriptor('Rain'), { author: ada });
    const before = catalog.events.length;
    racing.meanwhile = () => sync.reconcile();
    const patched = await datasets.patch(rain, { title: 'Raced' }, { author: ada });
    racing.meanwhile = () => sync.reconcile();
    await tags.create(rain, { name: 'v1', author: ada });
    const found = catalog.events.slice(before);
    expect(found.map((event) => [event.type, event.data.origin, event.data.newRevision])).toEqual([
      ['dataset.updated', 'sync', patched.revision.sha],
      ['tag.created', 'sync', patched.revision.sha],
    ]);
    expect(await sync.reconcile()).toMatchObject({ updated: 0, tagChanges: 0 });
    expect(catalog.events).toHaveLength(before + 2);
  });

  it('pages through a long gap: listings of 100, batches of revisionsPerUpdate, each expecting the last; a run cut short resumes without repeats', async () => {
    const { storage, catalog, datasets } = world();
    const created = await datasets.create(rain, descriptor('Rain'), { author: ada });
    let head = created.revision.sha;
    const pushed: string[] = [];
    for (let i = 1; i <= 230; i++) {
      head = (await storage.commit(rain, { parent: head, changes: [file(descriptor(`Rain ${i}`))], message: `push ${i}`, author: pusher }))
        .sha;
      pushed.push(head);
    }
    const updates: CatalogUpdate[] = [];
    const apply = catalog.apply.bind(catalog);
    let failOn = 2;
    catalog.apply = async (update) => {
      if (updates.length + 1 === failOn) {
        failOn = 0;
        throw new StorageUnavailableError('the catalog went away mid-run');
      }
      updates.push(update);
      return apply(update);
    };
    const before = catalog.events.length;
    const { logger } = recordingLogger();
    const sync = new CatalogSync(storage, catalog, { events, logger, revisionsPerUpdate: 100 });
    storage.calls.clear();
    expect(await sync.reconcile()).toMatchObject({ updated: 100, failures: 1 });
    expect(storage.calls.get('listRevisions')).toBe(3);
    expect(await sync.reconcile()).toMatchObject({ updated: 130, failures: 0 });
    expect(updates.map((update) => [update.events?.length, update.expect?.head])).toEqual([
      [100, created.revision.sha],
      [100, pushed[99]],
      [30, pushed[199]],
    ]);
    expect(catalog.events.slice(before).map((event) => event.data.newRevision)).toEqual(pushed);
    expect((await catalog.getDataset(rain))?.headRevision).toBe(head);
  });

  it('announces a repository deleted and made again behind its back as a deletion, then a creation with its history', async () => {
    const { storage, catalog, datasets, sync } = world();
    const old = await datasets.create(rain, descriptor('Rain'), { author: ada });
    await storage.deleteDataset(rain);
    const again = await storage.createDataset(rain, { files: [file(descriptor('Rain again'))], message: 'again', author: pusher });
    const next = await storage.commit(rain, {
      parent: again.sha,
      changes: [file(descriptor('Rain again, 2'))],
      message: 'again 2',
      author: pusher,
    });
    const before = catalog.events.length;
    expect(await sync.reconcile()).toMatchObject({ created: 1, updated: 1, deleted: 1, failures: 0 });
    expect(catalog.events.slice(before).map((event) => [event.type, event.data.oldRevision, event.data.newRevision])).toEqual([
      ['dataset.deleted', old.revision.sha, null],
      ['dataset.created', null, again.sha],
      ['dataset.updated', again.sha, next.sha],
    ]);
    expect(await catalog.getDataset(rain)).toMatchObject({ headRevision: next.sha, createdAt: new Date(again.timestamp), deleted: false });
  });

  it('catalogues a descriptor holding U+0000 pushed to git: text gets U+FFFD, the event links to the descriptor', async () => {
    const { storage, catalog, sync } = world();
    const source = '{"name":"fog","title":"Fog\\u0000bank","keywords":["a\\u0000"],"resources":[]}';
    const pushed = await storage.createDataset(fog, {
      files: [{ path: 'datapackage.json', content: source }],
      message: 'nul\u0000',
      author: pusher,
    });
    await storage.createDataset(wind, { files: [file(descriptor('Wind'))], message: 'direct', author: pusher });
    expect(await sync.reconcile()).toMatchObject({ created: 2, failures: 0 });
    expect(await catalog.getDataset(fog)).toMatchObject({ headRevision: pushed.sha, title: 'Fog\uFFFDbank', keywords: ['a\uFFFD'] });
    const [event] = eventsOf(catalog.events, fog);
    expect(event!.data).toMatchObject({ descriptorTruncated: true, message: 'nul\uFFFD' });
    expect(await catalog.descriptorAt(fog, pushed.sha)).toBe(source);
  });
});

describe('CatalogSync.rebuild', () => {
  /** A realistic history through the API (`writeSampleHistory`, shared with the CLI's integration test). */
  const history = (w: ReturnType<typeof world>) => writeSampleHistory(w);

  it('rebuilds from storage exactly the rows and tags the API kept incrementally, without events', async () => {
    const w = world();
    await history(w);
    const incremental = await liveContent(w.catalog);
    expect(Object.keys(incremental).sort()).toEqual(['acme/rain', 'acme/wind', 'polar/snow', 'zeta/fog']);

    const fresh = new InMemoryCatalogStore();
    const progress: [number, number][] = [];
    const summary = await new CatalogSync(w.storage, fresh, { events }).rebuild({
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(summary).toEqual({ datasets: 4, indexed: 4, deleted: 0, failures: 0 });
    expect(progress).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(await liveContent(fresh)).toEqual(incremental);
    expect(fresh.events).toEqual([]);

    // Rebuilding the kept catalog in place changes nothing and announces nothing.
    const eventCount = w.catalog.events.length;
    await w.sync.rebuild();
    expect(await liveContent(w.catalog)).toEqual(incremental);
    expect(w.catalog.events).toHaveLength(eventCount);
    // And the kept catalog has nothing left for reconcile to find.
    expect(await w.sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0 });
  });

  it('agrees with the kept catalog after deletes, and marks rows of vanished datasets deleted without an event', async () => {
    const w = world();
    await history(w);
    await w.datasets.delete(wind, { author: ada });
    await w.tags.delete(rain, 'v1');
    const incremental = await liveContent(w.catalog);

    const fresh = new InMemoryCatalogStore();
    await new CatalogSync(w.storage, fresh, { events }).rebuild();
    expect(await liveContent(fresh)).toEqual(incremental);
    expect(Object.keys(incremental).sort()).toEqual(['acme/rain', 'polar/snow', 'zeta/fog']);

    // A dataset deleted in storage directly: the rebuild drops it from the live rows, quietly.
    await w.storage.deleteDataset(fog);
    const eventCount = w.catalog.events.length;
    expect(await w.sync.rebuild()).toEqual({ datasets: 3, indexed: 2, deleted: 1, failures: 0 });
    expect(await w.catalog.getDataset(fog)).toMatchObject({ deleted: true });
    expect(w.catalog.events).toHaveLength(eventCount);
    const afterwards = new InMemoryCatalogStore();
    await new CatalogSync(w.storage, afterwards, { events }).rebuild();
    expect(await liveContent(afterwards)).toEqual(await liveContent(w.catalog));
  });

  it('equals what reconcile records for the same changes pushed directly', async () => {
    const w = world();
    await history(w);
    const head = await w.storage.resolveRef(rain);
    await w.storage.commit(rain, { parent: head, changes: [file(descriptor('Rain, pushed'))], message: 'direct', author: pusher });
    await w.storage.createTag(fog, { name: 'pushed', target: await w.storage.resolveRef(fog), description: 'by hand', author: pusher });
    await w.storage.deleteDataset(wind);
    await w.sync.reconcile();

    const fresh = new InMemoryCatalogStore();
    await new CatalogSync(w.storage, fresh, { events }).rebuild();
    expect(await liveContent(fresh)).toEqual(await liveContent(w.catalog));
  });
});

/** Storage that lists changes as a git host does: a push sequence per dataset, the watermark the last sequence seen. */
class ChangeListingStorage extends InMemoryDatasetStorage {
  private pushes = 0;
  readonly pushedAt = new Map<string, number>();
  readonly broken = new Set<string>();
  readonly listings: (string | undefined)[] = [];

  override async createDataset(id: DatasetId, request: CreateDatasetRequest): Promise<Revision> {
    const revision = await super.createDataset(id, request);
    this.pushedAt.set(keyOf(id), ++this.pushes);
    return revision;
  }

  override async commit(id: DatasetId, request: CommitRequest): Promise<Revision> {
    const revision = await super.commit(id, request);
    this.pushedAt.set(keyOf(id), ++this.pushes);
    return revision;
  }

  override async resolveRef(id: DatasetId, ref?: string): Promise<string> {
    if (this.broken.has(keyOf(id))) throw new StorageUnavailableError(`${keyOf(id)} is unreachable`);
    return super.resolveRef(id, ref);
  }

  async listChangedDatasets(owner: string, watermark: string | undefined): Promise<ChangedDatasets> {
    this.listings.push(watermark);
    const names = (await this.listDatasets(owner, { limit: 1000 })).items;
    const since = watermark === undefined ? undefined : Number(watermark);
    const changed = names.filter((name) => since === undefined || (this.pushedAt.get(`${owner}/${name}`) ?? 0) > since);
    return { changed, ...(since === undefined ? { complete: names } : {}), watermark: String(this.pushes) };
  }
}

describe('CatalogSync.reconcile with watermarks', () => {
  /** A catalog that refuses its next update as stale, as when another writer (the API, the journal drainer) recorded first. */
  class RacedCatalogStore extends InMemoryCatalogStore {
    staleOnce = false;
    override async apply(update: CatalogUpdate) {
      if (!this.staleOnce) return super.apply(update);
      this.staleOnce = false;
      return 'stale' as const;
    }
  }
  function incremental(concurrency?: number) {
    const storage = new ChangeListingStorage(tickingClock());
    const catalog = new RacedCatalogStore();
    const watermarks = new InMemorySyncWatermarkStore();
    let now = Date.parse('2024-06-01T00:00:00Z');
    const clock = () => new Date(now);
    const sync = new CatalogSync(storage, catalog, {
      events,
      clock,
      watermarks,
      fullSyncEveryMs: 86_400_000,
      ...(concurrency ? { concurrency } : {}),
    });
    return { storage, catalog, watermarks, sync, advance: (ms: number) => (now += ms) };
  }
  const push = async (storage: InMemoryDatasetStorage, id: DatasetId, title: string) =>
    storage.commit(id, { parent: await storage.resolveRef(id), changes: [file(descriptor(title))], message: title, author: pusher });

  it('compares every dataset once, then only those pushed to since the stored watermark', async () => {
    const { storage, catalog, watermarks, sync } = incremental();
    for (const id of [rain, wind]) await storage.createDataset(id, { files: [file(descriptor('v1'))], message: 'direct', author: pusher });
    expect(await sync.reconcile()).toMatchObject({ datasets: 2, created: 2, fullOwners: 1, incrementalOwners: 0 });
    expect(await watermarks.get('memory', rain.owner)).toMatchObject({ value: '2', fullSyncAt: new Date('2024-06-01T00:00:00Z') });

    expect(await sync.reconcile()).toMatchObject({ datasets: 0, changed: 0, fullOwners: 0, incrementalOwners: 1 });
    await push(storage, rain, 'Rain 2');
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, changed: 1, updated: 1, incrementalOwners: 1 });
    expect((await catalog.getDataset(rain))?.title).toBe('Rain 2');
    expect(storage.listings).toEqual([undefined, '2', '2']);
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('3');
  });

  it('keeps the watermark of an owner with a failed dataset, so the next run compares it again', async () => {
    const { storage, catalog, watermarks, sync } = incremental();
    await storage.createDataset(rain, { files: [file(descriptor('v1'))], message: 'direct', author: pusher });
    await sync.reconcile();
    await push(storage, rain, 'Rain 2');
    storage.broken.add(keyOf(rain));
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, failures: 1, updated: 0 });
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('1');
    storage.broken.clear();
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, failures: 0, updated: 1 });
    expect((await catalog.getDataset(rain))?.title).toBe('Rain 2');
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('2');
  });

  it('keeps the watermark of an owner with a dataset another writer recorded first, so the next run compares it again', async () => {
    const { storage, catalog, watermarks, sync } = incremental();
    await storage.createDataset(rain, { files: [file(descriptor('v1'))], message: 'direct', author: pusher });
    await sync.reconcile();
    await push(storage, rain, 'Rain 2');
    catalog.staleOnce = true;
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, failures: 0, updated: 0 });
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('1');
    expect(await sync.reconcile()).toMatchObject({ datasets: 1, updated: 1 });
    expect((await catalog.getDataset(rain))?.title).toBe('Rain 2');
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('2');
  });

  it('keeps the watermark of an owner whose run was aborted before all its datasets were compared', async () => {
    const { storage, watermarks, sync } = incremental(1);
    await storage.createDataset(rain, { files: [file(descriptor('v1'))], message: 'direct', author: pusher });
    await sync.reconcile();
    await storage.createDataset(wind, { files: [file(descriptor('v1'))], message: 'direct', author: pusher });
    await push(storage, rain, 'Rain 2');
    const controller = new AbortController();
    const summary = await sync.reconcile({ signal: controller.signal, onProgress: (done) => done === 1 && controller.abort() });
    expect(summary).toMatchObject({ datasets: 2, failures: 0 });
    expect(summary.created + summary.updated).toBe(1);
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('1');
    expect(await sync.reconcile()).toMatchObject({ datasets: 2, changed: 1 });
    expect((await watermarks.get('memory', rain.owner))?.value).toBe('3');
  });

  it('reconciles in full when asked (--full) or when the last full run is older than fullSyncEveryMs, and finds deletions then', async () => {
    const { storage, catalog, watermarks, sync, advance } = incremental();
    for (const id of [rain, wind]) await storage.createDataset(id, { files: [file(descriptor('v1'))], message: 'direct', author: pusher });
    await sync.reconcile();
    expect(await sync.reconcile({ full: true })).toMatchObject({ datasets: 2, changed: 0, fullOwners: 1 });
    await storage.deleteDataset(wind);
    advance(3_600_000);
    expect(await sync.reconcile()).toMatchObject({ datasets: 0, deleted: 0, incrementalOwners: 1 });
    advance(86_400_000);
    expect(await sync.reconcile()).toMatchObject({ datasets: 2, deleted: 1, fullOwners: 1 });
    expect((await catalog.getDataset(wind))?.deleted).toBe(true);
    expect((await watermarks.get('memory', rain.owner))?.fullSyncAt).toEqual(new Date('2024-06-02T01:00:00Z'));
  });
});
