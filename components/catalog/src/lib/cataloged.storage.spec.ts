import { DatasetService, DESCRIPTOR_PATH, serializeDescriptor } from '@metastore/datasets';
import type { MetastoreEvent } from '@metastore/events';
import { RevisionService } from '@metastore/revisions';
import type { Author, DatasetId } from '@metastore/storage';
import { describeDatasetStorageContract, InMemoryDatasetStorage } from '@metastore/storage/testing';
import { TagService } from '@metastore/tags';
import { InMemoryCatalogStore } from '../testing/in-memory.catalog';
import { CatalogedStorage, TAG_REUSE_MS, type CatalogLogger } from './cataloged.storage';

const events = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 2048,
  descriptorUrl: (id: DatasetId, revision: string) => `http://api/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const ada: Author = { name: 'Ada Lovelace', email: 'ada@example.com' };
const grace: Author = { name: 'Grace Hopper', email: 'grace@example.com' };

describeDatasetStorageContract('cataloged in-memory storage', async () => ({
  storage: new CatalogedStorage(new InMemoryDatasetStorage(), new InMemoryCatalogStore(), { events }),
}));

function setup() {
  const storage = new InMemoryDatasetStorage();
  const catalog = new InMemoryCatalogStore();
  const logged: { level: string; message: string }[] = [];
  const logger: CatalogLogger = {
    warn: (_object, message) => logged.push({ level: 'warn', message }),
    error: (_object, message) => logged.push({ level: 'error', message }),
  };
  let nudges = 0;
  const cataloged = new CatalogedStorage(storage, catalog, { events, logger, onRecorded: () => (nudges += 1) });
  const datasets = new DatasetService({ storage: cataloged });
  return {
    storage,
    catalog,
    logged,
    nudges: () => nudges,
    datasets,
    revisions: new RevisionService(cataloged, datasets),
    tags: new TagService(cataloged),
  };
}

const id: DatasetId = { owner: 'acme', name: 'rain' };
const descriptor = {
  name: 'rain',
  title: 'Rainfall',
  keywords: ['weather', 'rain'],
  licenses: [{ name: 'CC-BY-4.0' }],
  resources: [{ name: 'daily', path: 'daily.csv' }],
};
const types = (list: readonly MetastoreEvent[]) => list.map((event) => event.type);

describe('CatalogedStorage', () => {
  it('records each write as a catalog row and one event, in commit order, with what an indexer needs', async () => {
    const { catalog, datasets, revisions, tags, nudges } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    const updated = await datasets.patch(
      id,
      {
        description: 'Daily rainfall',
        resources: [
          { name: 'daily', path: 'daily.csv' },
          { name: 'monthly', path: 'm.csv' },
        ],
      },
      { author: grace },
    );
    await tags.create(id, { name: 'v1', description: 'first', author: ada });
    await tags.update(id, 'v1', { description: 'first release', author: ada });
    const reverted = await revisions.revert(id, created.revision.sha, { author: grace });
    await tags.delete(id, 'v1');
    await datasets.delete(id, { author: ada });

    expect(types(catalog.events)).toEqual([
      'dataset.created',
      'dataset.updated',
      'tag.created',
      'tag.updated',
      'dataset.reverted',
      'tag.deleted',
      'dataset.deleted',
    ]);
    expect(nudges()).toBe(7);
    const [create, update, , , revert, , remove] = catalog.events;
    expect(create).toMatchObject({
      specversion: '1.0',
      source: 'urn:metastore:test',
      subject: 'acme/rain',
      datacontenttype: 'application/json',
      data: {
        dataset: { id: 'acme/rain', owner: 'acme', name: 'rain', backend: 'memory', location: 'memory:acme/rain' },
        origin: 'api',
        oldRevision: null,
        newRevision: created.revision.sha,
        author: ada,
        descriptor,
        changes: { fields: ['keywords', 'licenses', 'name', 'title'], resources: { added: ['daily'], removed: [], modified: [] } },
      },
    });
    expect(update!.data).toMatchObject({
      oldRevision: created.revision.sha,
      newRevision: updated.revision.sha,
      author: grace,
      changes: { fields: ['description'], resources: { added: ['monthly'], removed: [], modified: [] } },
    });
    expect(revert!.data).toMatchObject({
      revertedTo: created.revision.sha,
      oldRevision: updated.revision.sha,
      newRevision: reverted.revision.sha,
      changes: { fields: ['description'], resources: { removed: ['monthly'] } },
    });
    expect(remove!.data).toMatchObject({ oldRevision: reverted.revision.sha, newRevision: null, author: ada });
    expect(new Set(catalog.events.map((event) => event.id)).size).toBe(7);
  });

  it('keeps the row searchable: title, keywords, licenses, resource count, creation and update times from git', async () => {
    const { catalog, datasets } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    const updated = await datasets.patch(id, { title: 'Rain, daily' }, { author: ada });
    expect(await catalog.getDataset(id)).toEqual({
      id,
      backend: 'memory',
      location: 'memory:acme/rain',
      headRevision: updated.revision.sha,
      title: 'Rain, daily',
      keywords: ['weather', 'rain'],
      licenses: ['CC-BY-4.0'],
      resourceCount: 1,
      createdAt: new Date(created.revision.timestamp),
      updatedAt: new Date(updated.revision.timestamp),
      deleted: false,
    });
    expect((await catalog.search({ q: 'rain daily', limit: 10 })).items.map((entry) => entry.id)).toEqual([id]);
  });

  it('reads at a full sha or a known tag without a storage call', async () => {
    const { storage, datasets, tags } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    await tags.create(id, { name: 'v1', author: ada });
    storage.calls.clear();
    expect((await datasets.read(id, created.revision.sha)).descriptor).toEqual(descriptor);
    expect((await datasets.read(id, 'v1')).revision).toBe(created.revision.sha);
    expect(storage.calls.size).toBe(0);
    // The head is mutable: it is always asked of storage, the content at it is not.
    await datasets.read(id);
    expect([...storage.calls.keys()]).toEqual(['resolveRef']);
  });

  it('carries a link instead of a descriptor over the size limit', async () => {
    const { catalog, datasets } = setup();
    const created = await datasets.create(id, { ...descriptor, description: 'x'.repeat(4096) }, { author: ada });
    const [event] = catalog.events;
    expect(event!.data.descriptor).toBeUndefined();
    expect(event!.data).toMatchObject({
      descriptorTruncated: true,
      descriptorUrl: `http://api/datasets/acme/rain?ref=${created.revision.sha}`,
    });
    expect(event!.data.changes?.fields).toContain('description');
  });

  it('records nothing when the git write fails', async () => {
    const { catalog, datasets } = setup();
    await datasets.create(id, descriptor, { author: ada });
    const before = { events: catalog.events.length, entry: await catalog.getDataset(id) };
    await expect(datasets.create(id, descriptor, { author: grace })).rejects.toMatchObject({ code: 'DATASET_ALREADY_EXISTS' });
    await expect(datasets.replace(id, { ...descriptor, title: 'stale' }, { author: grace, ifMatch: 'f'.repeat(40) })).rejects.toMatchObject(
      { code: 'PRECONDITION_FAILED' },
    );
    await expect(datasets.replace(id, { resources: 'not a list' }, { author: grace })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(catalog.events).toHaveLength(before.events);
    expect(await catalog.getDataset(id)).toEqual(before.entry);
  });

  it('lets writes succeed while the catalog is down, logs it, and reads from storage meanwhile', async () => {
    const { catalog, datasets, logged } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    catalog.down = true;
    const updated = await datasets.patch(id, { title: 'Written while the catalog was down' }, { author: ada });
    expect(updated.changed).toBe(true);
    expect((await datasets.read(id, created.revision.sha)).descriptor).toEqual(descriptor);
    expect(logged.some((entry) => entry.level === 'error' && /sync worker/.test(entry.message))).toBe(true);
    catalog.down = false;
    expect(catalog.events).toHaveLength(1);
    expect((await catalog.getDataset(id))?.headRevision).toBe(created.revision.sha);
  });

  it('catches up a dataset the catalog missed on the next write: its creation from history, then the write', async () => {
    const { storage, catalog, datasets } = setup();
    const first = await storage.createDataset(id, {
      files: [{ path: 'datapackage.json', content: serializeDescriptor(descriptor) }],
      message: 'pushed directly',
      author: ada,
      timestamp: new Date('2020-01-02T03:04:05Z'),
    });
    const patched = await datasets.patch(id, { title: 'Now through the API' }, { author: ada });
    expect(await catalog.getDataset(id)).toMatchObject({ createdAt: new Date(first.timestamp), title: 'Now through the API' });
    expect(catalog.events.map((event) => [event.type, event.data.origin, event.data.oldRevision, event.data.newRevision])).toEqual([
      ['dataset.created', 'sync', null, first.sha],
      ['dataset.updated', 'api', first.sha, patched.revision.sha],
    ]);
  });

  it('catches up, at the next write after the catalog came back, every write it missed while down: one event each, none twice', async () => {
    const { catalog, datasets, tags, logged } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    catalog.down = true;
    const missed: string[] = [];
    for (let i = 1; i <= 5; i++) missed.push((await datasets.patch(id, { title: `Missed ${i}` }, { author: grace })).revision.sha);
    await tags.create(id, { name: 'v1', author: ada });
    catalog.down = false;
    const next = await datasets.patch(id, { title: 'Back' }, { author: ada });
    expect(catalog.events.map((event) => [event.type, event.data.origin, event.data.oldRevision, event.data.newRevision])).toEqual([
      ['dataset.created', 'api', null, created.revision.sha],
      ...missed.map((sha, index) => ['dataset.updated', 'sync', index === 0 ? created.revision.sha : missed[index - 1], sha]),
      ['dataset.updated', 'api', missed[4], next.revision.sha],
      ['tag.created', 'sync', null, missed[4]],
    ]);
    expect(await catalog.getDataset(id)).toMatchObject({ headRevision: next.revision.sha, title: 'Back' });
    expect(logged.some((entry) => entry.level === 'warn' && /recorded changes found in storage/.test(entry.message))).toBe(true);
  });

  it('announces its write when, while it catches up, another process records first (two processes writing one dataset)', async () => {
    const storage = new InMemoryDatasetStorage();
    const catalog = new InMemoryCatalogStore();
    // Process A: its commit is in git, and held back before it records it until B is catching up.
    let committed!: () => void;
    const inGit = new Promise<void>((resolve) => (committed = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const heldStorage = new Proxy(storage, {
      get(target, property) {
        if (property === 'commit')
          return async (...args: Parameters<InMemoryDatasetStorage['commit']>) => {
            const revision = await target.commit(...args);
            committed();
            await gate;
            return revision;
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const a = new CatalogedStorage(heldStorage, catalog, { events });
    // Process B: A records its commit just before B's catch-up (which expects the head A's commit found) applies what it found.
    const race: { created?: string; aWrite?: Promise<unknown> } = {};
    let catchUps = 0;
    const racedCatalog = new Proxy(catalog, {
      get(target, property) {
        if (property === 'apply')
          return async (update: Parameters<InMemoryCatalogStore['apply']>[0]) => {
            if (race.created !== undefined && update.expect?.head === race.created && (catchUps += 1) === 1) {
              release();
              await race.aWrite;
            }
            return target.apply(update);
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const b = new CatalogedStorage(storage, racedCatalog, { events });
    const write = (title: string) => [{ path: DESCRIPTOR_PATH, content: serializeDescriptor({ ...descriptor, title }) }];
    const created = await a.createDataset(id, { files: write('Created'), message: 'create', author: ada });
    race.created = created.sha;
    const aWrite = a.commit(id, { parent: created.sha, changes: write('By A'), message: 'A', author: ada });
    race.aWrite = aWrite;
    await inGit;
    const x = await storage.resolveRef(id);
    const y = await b.commit(id, { parent: x, changes: write('By B'), message: 'B', author: grace });
    await aWrite;
    expect(catalog.events.map((event) => [event.type, event.data.origin, event.data.oldRevision, event.data.newRevision])).toEqual([
      ['dataset.created', 'api', null, created.sha],
      ['dataset.updated', 'api', created.sha, x],
      ['dataset.updated', 'api', x, y.sha],
    ]);
    expect(await catalog.getDataset(id)).toMatchObject({ headRevision: y.sha, title: 'By B' });
  });

  it('leaves a gap of more than 100 revisions to the sync worker rather than walk it during a write', async () => {
    const { storage, catalog, datasets } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    let head = created.revision.sha;
    for (let i = 1; i <= 101; i++)
      head = (
        await storage.commit(id, {
          parent: head,
          changes: [{ path: 'datapackage.json', content: serializeDescriptor({ ...descriptor, title: `Pushed ${i}` }) }],
          message: 'push',
          author: grace,
        })
      ).sha;
    await datasets.patch(id, { title: 'Through the API' }, { author: ada });
    expect(catalog.events).toHaveLength(1);
    expect((await catalog.getDataset(id))?.headRevision).toBe(created.revision.sha);
  });

  it('announces the creation of a tag the catalog never recorded (a process killed after git) before the API moves or deletes it', async () => {
    const { storage, catalog, datasets, tags } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    const updated = await datasets.patch(id, { title: 'Rain 2' }, { author: ada });
    const unrecorded = await storage.createTag(id, {
      name: 'v1',
      target: created.revision.sha,
      description: '',
      author: grace,
      timestamp: new Date('2024-01-01T00:00:00Z'),
    });
    await storage.createTag(id, {
      name: 'v2',
      target: created.revision.sha,
      description: '',
      author: grace,
      timestamp: new Date('2024-01-01T00:00:00Z'),
    });
    await tags.delete(id, 'v1', ada);
    const moved = await tags.update(id, 'v2', { ref: updated.revision.sha, force: true, author: ada });
    expect(
      catalog.events
        .slice(2)
        .map((event) => [
          event.type,
          event.data.origin,
          event.data.tag?.name ?? event.data.previousTag?.name,
          event.data.oldRevision,
          event.data.newRevision,
        ]),
    ).toEqual([
      ['tag.created', 'sync', 'v1', null, unrecorded.target],
      ['tag.deleted', 'api', 'v1', unrecorded.target, null],
      ['tag.created', 'sync', 'v2', null, created.revision.sha],
      ['tag.updated', 'api', 'v2', created.revision.sha, moved.target],
    ]);
    expect((await catalog.listTags(id)).map((tag) => [tag.name, tag.target])).toEqual([['v2', updated.revision.sha]]);
  });

  it('forgets a tag that was deleted on the git host directly when asked to delete it', async () => {
    const { storage, catalog, datasets, tags } = setup();
    await datasets.create(id, descriptor, { author: ada });
    await tags.create(id, { name: 'v1', author: ada });
    await storage.deleteTag(id, 'v1');
    await expect(tags.delete(id, 'v1')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
    expect(await catalog.getTag(id, 'v1')).toBeUndefined();
    await expect(tags.get(id, 'v1')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
    // Its deletion is announced (as found on the host), since no sync can see a difference any more.
    expect(catalog.events.map((event) => [event.type, event.data.origin])).toEqual([
      ['dataset.created', 'api'],
      ['tag.created', 'api'],
      ['tag.deleted', 'sync'],
    ]);
  });

  it('does not offer the catalog, read after read, a descriptor it cannot hold (U+0000), and caches one it can', async () => {
    const { storage, catalog, datasets } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    const cataloged = new CatalogedStorage(storage, catalog, { events });
    catalog.descriptors.clear();
    const apply = jest.spyOn(catalog, 'apply');
    const withNul = '{"name":"rain\u0000"}';
    const readFile = jest.spyOn(storage, 'readFile').mockResolvedValue(withNul);
    for (let read = 0; read < 2; read += 1) expect(await cataloged.readFile(id, created.revision.sha, DESCRIPTOR_PATH)).toBe(withNul);
    expect(readFile).toHaveBeenCalledTimes(2);
    expect(apply).not.toHaveBeenCalled();
    readFile.mockResolvedValue('{"name":"rain"}');
    await cataloged.readFile(id, created.revision.sha, DESCRIPTOR_PATH);
    expect(apply).toHaveBeenCalledTimes(1);
    expect(await catalog.descriptorAt(id, created.revision.sha)).toBe('{"name":"rain"}');
  });

  it('asks the catalog once, not twice, for a read at a sha (resolve, then read), and forgets a deleted dataset’s', async () => {
    const { storage, catalog, datasets } = setup();
    const created = await datasets.create(id, descriptor, { author: ada });
    const descriptorAt = jest.spyOn(catalog, 'descriptorAt');
    // A revision this process has just recorded is known without asking (the next write's parent).
    expect((await datasets.read(id, created.revision.sha)).descriptor).toEqual(descriptor);
    expect(descriptorAt).toHaveBeenCalledTimes(0);
    const other = new DatasetService({ storage: new CatalogedStorage(storage, catalog, { events }) });
    expect((await other.read(id, created.revision.sha)).descriptor).toEqual(descriptor);
    expect(descriptorAt).toHaveBeenCalledTimes(1);
    await datasets.delete(id, { author: ada });
    await expect(datasets.read(id, created.revision.sha)).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND/) });
  });

  describe('reads at a tag', () => {
    /** One storage and catalog, and two API processes on them, each with its own clock. */
    async function twoProcesses() {
      const storage = new InMemoryDatasetStorage();
      const catalog = new InMemoryCatalogStore();
      const now = { ms: Date.parse('2026-12-05T12:00:00Z') };
      const process = () => {
        const cataloged = new CatalogedStorage(storage, catalog, { events, clock: () => new Date(now.ms) });
        const datasets = new DatasetService({ storage: cataloged });
        return { cataloged, datasets, tags: new TagService(cataloged) };
      };
      const [first, second] = [process(), process()];
      const created = await first.datasets.create(id, descriptor, { author: ada });
      const updated = await first.datasets.patch(id, { title: 'Rainfall, revised' }, { author: ada });
      await first.tags.create(id, { name: 'v1', ref: created.revision.sha, author: ada });
      return { catalog, now, first, second, created: created.revision.sha, updated: updated.revision.sha };
    }

    it('asks the catalog once per TAG_REUSE_MS, not once per read', async () => {
      const { catalog, now, first, created } = await twoProcesses();
      const getTag = jest.spyOn(catalog, 'getTag');
      for (let read = 0; read < 5; read += 1) expect(await first.cataloged.resolveRef(id, 'v1')).toBe(created);
      expect(getTag).toHaveBeenCalledTimes(1);
      now.ms += TAG_REUSE_MS + 1;
      expect(await first.cataloged.resolveRef(id, 'v1')).toBe(created);
      expect(getTag).toHaveBeenCalledTimes(2);
    });

    it.each([
      ['moved (force)', 'move'],
      ['deleted', 'delete'],
      ['deleted with its dataset', 'delete dataset'],
    ] as const)('serves a tag this process %s as it now is, at once', async (_label, change) => {
      const { first, created, updated } = await twoProcesses();
      expect(await first.cataloged.resolveRef(id, 'v1')).toBe(created);
      if (change === 'move') {
        await first.tags.update(id, 'v1', { ref: updated, force: true, author: ada });
        expect(await first.cataloged.resolveRef(id, 'v1')).toBe(updated);
      } else {
        await (change === 'delete' ? first.tags.delete(id, 'v1') : first.datasets.delete(id, { author: ada }));
        await expect(first.cataloged.resolveRef(id, 'v1')).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND/) });
      }
    });

    it('sees a tag another process moved within TAG_REUSE_MS', async () => {
      const { now, first, second, created, updated } = await twoProcesses();
      expect(await first.cataloged.resolveRef(id, 'v1')).toBe(created);
      await second.tags.update(id, 'v1', { ref: updated, force: true, author: ada });
      now.ms += TAG_REUSE_MS + 1;
      expect(await first.cataloged.resolveRef(id, 'v1')).toBe(updated);
    });

    it('does not keep an answer the catalog gave while this process moved the tag', async () => {
      const { catalog, first, created, updated } = await twoProcesses();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const answer = catalog.getTag.bind(catalog);
      // The first read's answer (the old target) arrives only after the move was recorded.
      jest.spyOn(catalog, 'getTag').mockImplementationOnce(async (...args) => {
        const tag = await answer(...args);
        await held;
        return tag;
      });
      const slowRead = first.cataloged.resolveRef(id, 'v1');
      await first.tags.update(id, 'v1', { ref: updated, force: true, author: ada });
      release();
      expect(await slowRead).toBe(created);
      expect(await first.cataloged.resolveRef(id, 'v1')).toBe(updated);
    });
  });
});
