import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordSyncs } from '@metastore/durable-files/testing';
import type { MetastoreEvent } from '@metastore/events';
import { storedEventForTests, type TestEventOptions } from '@metastore/events/testing';
import { SearchIndexer, type ApplyOutcome } from './search-indexer';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'search-indexer-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function event(sequence: number, options: TestEventOptions = {}): { sequence: string; event: MetastoreEvent } {
  return storedEventForTests(sequence, options);
}

const weather = {
  name: 'weather',
  title: 'Weather observations',
  description: 'Hourly temperature and rain',
  keywords: ['climate', 'rain', 42],
};

describe('SearchIndexer', () => {
  it('indexes created and updated datasets from the descriptor in the event, and drops deleted ones', async () => {
    const indexer = await SearchIndexer.open({ dataDir });
    const created = event(1, { type: 'dataset.created', descriptor: weather });
    expect(await indexer.apply(created.event, created.sequence)).toBe('applied');
    expect(indexer.get('acme/weather')).toEqual({
      id: 'acme/weather',
      title: 'Weather observations',
      description: 'Hourly temperature and rain',
      keywords: ['climate', 'rain'],
      revision: created.event.data.newRevision,
      tags: {},
      sequence: '1',
      changedAt: created.event.time,
    });
    const updated = event(2, { type: 'dataset.updated', descriptor: { ...weather, title: 'Weather (hourly)', keywords: ['climate'] } });
    await indexer.apply(updated.event, updated.sequence);
    expect(indexer.get('acme/weather')).toMatchObject({
      title: 'Weather (hourly)',
      keywords: ['climate'],
      revision: updated.event.data.newRevision,
      sequence: '2',
    });
    const reverted = event(3, { type: 'dataset.reverted', descriptor: weather });
    await indexer.apply(reverted.event, reverted.sequence);
    expect(indexer.get('acme/weather')?.title).toBe('Weather observations');

    const other = event(4, { type: 'dataset.created', subject: 'acme/rivers', descriptor: { name: 'rivers', title: 'River levels' } });
    await indexer.apply(other.event, other.sequence);
    expect(indexer.search('RAIN').map((dataset) => dataset.id)).toEqual(['acme/weather']);
    expect(indexer.search('acme/').map((dataset) => dataset.id)).toEqual(['acme/rivers', 'acme/weather']);

    const deleted = event(5, { type: 'dataset.deleted' });
    expect(await indexer.apply(deleted.event, deleted.sequence)).toBe('applied');
    expect(indexer.get('acme/weather')).toBeUndefined();
    expect(indexer.list().map((dataset) => dataset.id)).toEqual(['acme/rivers']);
  });

  it('ignores replayed events: the same event again, or an older change of the dataset', async () => {
    const indexer = await SearchIndexer.open({ dataDir });
    const created = event(1, { type: 'dataset.created', descriptor: weather });
    const updated = event(2, { type: 'dataset.updated', descriptor: { ...weather, title: 'New title' } });
    await indexer.apply(created.event, created.sequence);
    await indexer.apply(updated.event, updated.sequence);
    const outcomes: ApplyOutcome[] = [
      await indexer.apply(updated.event, updated.sequence),
      await indexer.apply(created.event, created.sequence),
      // The same change under another event ID (its ID forgotten): its sequence is older than the dataset's.
      await indexer.apply({ ...created.event, id: 'another-id' }, created.sequence),
    ];
    expect(outcomes).toEqual(['duplicate', 'duplicate', 'stale']);
    expect(indexer.get('acme/weather')).toMatchObject({ title: 'New title', sequence: '2' });

    const deleted = event(3, { type: 'dataset.deleted' });
    await indexer.apply(deleted.event, deleted.sequence);
    expect(await indexer.apply({ ...updated.event, id: 'late-copy' }, updated.sequence)).toBe('stale');
    expect(indexer.get('acme/weather')).toBeUndefined();
    const recreated = event(4, { type: 'dataset.created', descriptor: { name: 'weather', title: 'Again' } });
    expect(await indexer.apply(recreated.event, recreated.sequence)).toBe('applied');
    expect(indexer.get('acme/weather')?.title).toBe('Again');
  });

  it('records tags of indexed datasets and ignores tags of unknown ones', async () => {
    const indexer = await SearchIndexer.open({ dataDir });
    const created = event(1, { type: 'dataset.created', descriptor: weather });
    await indexer.apply(created.event, created.sequence);
    const tagged = event(2, { type: 'tag.created', tag: { name: 'v1', target: 'aaa' } });
    await indexer.apply(tagged.event, tagged.sequence);
    const moved = event(3, { type: 'tag.updated', tag: { name: 'v1', target: 'bbb' } });
    await indexer.apply(moved.event, moved.sequence);
    expect(indexer.get('acme/weather')?.tags).toEqual({ v1: 'bbb' });
    const removed = event(4, { type: 'tag.deleted' });
    await indexer.apply({ ...removed.event, data: { ...removed.event.data, previousTag: moved.event.data.tag! } }, removed.sequence);
    expect(indexer.get('acme/weather')?.tags).toEqual({});
    expect(indexer.get('acme/weather')?.sequence).toBe('1');
    const elsewhere = event(5, { type: 'tag.created', subject: 'acme/unknown', tag: { name: 'v1', target: 'ccc' } });
    expect(await indexer.apply(elsewhere.event, elsewhere.sequence)).toBe('ignored');
  });

  it('reads a descriptor left out of the event from descriptorUrl', async () => {
    const requested: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      requested.push(String(input));
      return String(input).endsWith('missing')
        ? new Response('{"title":"Not Found"}', { status: 404 })
        : new Response(JSON.stringify({ ...weather, title: 'Large dataset' }), { headers: { 'content-type': 'application/json' } });
    };
    const indexer = await SearchIndexer.open({ dataDir, fetch: fakeFetch });
    const stored = event(1, { type: 'dataset.created' });
    const { descriptor: _left, ...data } = stored.event.data;
    const truncated: MetastoreEvent = {
      ...stored.event,
      data: { ...data, descriptorTruncated: true, descriptorUrl: 'http://api.test/datasets/acme/weather?revision=abc' },
    };
    await indexer.apply(truncated, stored.sequence);
    expect(requested).toEqual(['http://api.test/datasets/acme/weather?revision=abc']);
    expect(indexer.get('acme/weather')?.title).toBe('Large dataset');

    const next = event(2, { type: 'dataset.updated' });
    const failing: MetastoreEvent = {
      ...next.event,
      data: { ...data, descriptorTruncated: true, descriptorUrl: 'http://api.test/missing' },
    };
    // A rejection leaves the event unacknowledged: the consumer retries it, then dead-letters it.
    await expect(indexer.apply(failing, next.sequence)).rejects.toThrow('answered 404');
    expect(indexer.get('acme/weather')?.sequence).toBe('1');
  });

  it('keeps the index in a JSON file and reloads it, with the event IDs it has seen', async () => {
    const first = await SearchIndexer.open({ dataDir });
    const created = event(1, { type: 'dataset.created', descriptor: weather });
    await first.apply(created.event, created.sequence);
    expect(first.file).toBe(path.join(dataDir, 'search-index.json'));
    expect(JSON.parse(await readFile(first.file, 'utf8'))).toMatchObject({
      datasets: { 'acme/weather': { title: 'Weather observations' } },
    });

    const reopened = await SearchIndexer.open({ dataDir });
    expect(reopened.get('acme/weather')).toEqual(first.get('acme/weather'));
    expect(await reopened.apply(created.event, created.sequence)).toBe('duplicate');
  });

  it('saves durably: the new index is fsynced before it is renamed over the old one, and the directory after', async () => {
    const indexer = await SearchIndexer.open({ dataDir });
    const recorder = await recordSyncs(dataDir);
    try {
      const created = event(1, { type: 'dataset.created', descriptor: weather });
      await indexer.apply(created.event, created.sequence);
    } finally {
      recorder.stop();
    }
    expect(recorder.events).toEqual([
      expect.stringMatching(/^sync search-index\.json\.[0-9a-f]{16}\.tmp$/),
      expect.stringMatching(/^rename search-index\.json\.[0-9a-f]{16}\.tmp -> search-index\.json$/),
      'sync .',
    ]);
    expect(recorder.events[1]).toContain(recorder.events[0]!.replace(/^sync /, ''));
    expect(await readdir(dataDir)).toEqual(['search-index.json']);
  });

  it('removes the temporary file a save cut short by a crash left, when it opens the index', async () => {
    const first = await SearchIndexer.open({ dataDir });
    const created = event(1, { type: 'dataset.created', descriptor: weather });
    await first.apply(created.event, created.sequence);
    await writeFile(path.join(dataDir, 'search-index.json.0123456789abcdef.tmp'), '{"version":1,"datas');
    const reopened = await SearchIndexer.open({ dataDir });
    expect(reopened.get('acme/weather')?.title).toBe('Weather observations');
    expect(await readdir(dataDir)).toEqual(['search-index.json']);
  });

  it('forgets the oldest event IDs beyond rememberedEventIds (sequences still stop stale changes)', async () => {
    const indexer = await SearchIndexer.open({ dataDir, rememberedEventIds: 2 });
    const events = [1, 2, 3].map((sequence) => event(sequence, { type: 'dataset.updated', subject: `acme/d${sequence}` }));
    for (const stored of events) await indexer.apply(stored.event, stored.sequence);
    const saved = JSON.parse(await readFile(indexer.file, 'utf8')) as { recentEventIds: string[] };
    expect(saved.recentEventIds).toEqual([events[1]!.event.id, events[2]!.event.id]);
    expect(await indexer.apply(events[0]!.event, events[0]!.sequence)).toBe('stale');
  });

  it('refuses an event without a sequence', async () => {
    const indexer = await SearchIndexer.open({ dataDir });
    await expect(indexer.apply(event(1).event, '')).rejects.toThrow('no valid sequence');
  });
});
