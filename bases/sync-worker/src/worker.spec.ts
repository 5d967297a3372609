import pino from 'pino';
import { CatalogSync, type ApplyOutcome, type CatalogUpdate } from '@metastore/catalog';
import { InMemoryCatalogStore } from '@metastore/catalog/testing';
import { OutboxRelay, type StoredEvent } from '@metastore/events';
import { InMemoryOutbox } from '@metastore/events/testing';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { runLoop, runOnce } from './worker';

const events = { source: 'urn:metastore:test', maxDescriptorBytes: 65536, descriptorUrl: () => 'http://api/unused' };
const author = { name: 'Git Pusher', email: 'push@example.com' };
const logger = pino({ level: 'silent' });

/** A catalog whose applied events land in an outbox, as one database transaction would put them. */
class OutboxCatalog extends InMemoryCatalogStore {
  constructor(readonly outbox: InMemoryOutbox) {
    super();
  }
  override async apply(update: CatalogUpdate): Promise<ApplyOutcome> {
    const outcome = await super.apply(update);
    if (outcome === 'applied') this.outbox.append(...(update.events ?? []));
    return outcome;
  }
}

function setup() {
  const storage = new InMemoryDatasetStorage();
  const outbox = new InMemoryOutbox();
  const catalog = new OutboxCatalog(outbox);
  const published: StoredEvent[] = [];
  let streamDown = false;
  const stream = {
    publish: async (batch: readonly StoredEvent[]) => {
      if (streamDown) throw new Error('Redis is down');
      published.push(...batch);
    },
  };
  const sync = new CatalogSync(storage, catalog, { events });
  const relay = new OutboxRelay(outbox, stream, { intervalMs: 10 });
  const push = (name: string) =>
    storage.createDataset(
      { owner: 'acme', name },
      { files: [{ path: 'datapackage.json', content: `{"name":"${name}"}` }], message: 'pushed', author },
    );
  return { storage, outbox, catalog, sync, relay, published, push, breakStream: () => (streamDown = true) };
}

describe('runOnce', () => {
  it('reconciles, then publishes everything waiting in the outbox', async () => {
    const { sync, relay, outbox, published, push } = setup();
    await push('rain');
    const result = await runOnce({ sync, relay, outbox, logger });
    expect(result).toEqual({
      ok: true,
      published: 1,
      summary: expect.objectContaining({ created: 1, failures: 0 }),
      report: expect.objectContaining({ checked: 1, changed: 1, events: 1, published: 1, ok: true }),
    });
    expect(published.map(({ event }) => [event.type, event.subject, event.data.origin])).toEqual([
      ['dataset.created', 'acme/rain', 'sync'],
    ]);
    expect(await outbox.pendingCount()).toBe(0);
  });

  it('is not ok when the stream is down; the events stay in the outbox for the next run', async () => {
    const { sync, relay, outbox, push, breakStream } = setup();
    await push('rain');
    breakStream();
    expect(await runOnce({ sync, relay, outbox, logger })).toMatchObject({ ok: false, summary: { created: 1 } });
    expect(await outbox.pendingCount()).toBe(1);
  });

  it('is not ok when a dataset failed, and leaves publishing to the API without Redis', async () => {
    const { storage, sync, outbox, push } = setup();
    await push('rain');
    storage.resolveRef = async () => {
      throw new Error('disk on fire');
    };
    const result = await runOnce({ sync, outbox, logger });
    expect(result).toEqual({
      ok: false,
      summary: expect.objectContaining({ failures: 1 }),
      report: expect.objectContaining({ failures: 1, ok: false }),
    });
  });

  it('logs one structured summary per run: checked, changed, events, storage requests (counted and 304s) and duration', async () => {
    const { storage, sync, outbox, push } = setup();
    await push('rain');
    // A host that counts requests as GitHubStorage does: every head lookup one, the second a 304.
    let requests = 0;
    const counting = Object.assign(storage, { usage: () => ({ requests, notModified: Math.floor(requests / 2) }) });
    const resolveRef = storage.resolveRef.bind(storage);
    storage.resolveRef = async (...args) => {
      requests += 2;
      return resolveRef(...args);
    };
    const lines: Record<string, unknown>[] = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const recorded: unknown[] = [];
    const times = [new Date('2026-01-01T00:00:00.000Z'), new Date('2026-01-01T00:00:02.500Z')];
    await runOnce(
      { sync, outbox, logger: recording, storage: counting },
      { metrics: { record: (report) => recorded.push(report) }, now: () => times.shift()! },
    );
    const finished = lines.filter((line) => line['msg'] === 'sync run finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      checked: 1,
      changed: 1,
      events: 1,
      created: 1,
      failures: 0,
      fullOwners: 1,
      apiCalls: { requests, counted: requests - Math.floor(requests / 2), notModified: Math.floor(requests / 2) },
      durationMs: 2500,
      ok: true,
    });
    expect(requests).toBeGreaterThan(0);
    expect(recorded).toEqual([expect.objectContaining({ checked: 1, durationMs: 2500 })]);
  });
});

describe('runLoop', () => {
  it('reconciles every interval, publishes meanwhile, and stops when aborted', async () => {
    const { sync, relay, published, push } = setup();
    const controller = new AbortController();
    const runs: number[] = [];
    const reconcile = sync.reconcile.bind(sync);
    sync.reconcile = async (options) => {
      const summary = await reconcile(options);
      runs.push(summary.created);
      if (runs.length === 1) await push('wind');
      if (runs.length === 3) controller.abort();
      return summary;
    };
    await push('rain');
    await runLoop({ sync, relay, logger }, 5, controller.signal);
    expect(runs).toEqual([1, 1, 0]);
    expect(published.map(({ event }) => event.subject).sort()).toEqual(['acme/rain', 'acme/wind']);
  });

  it('goes on after a failed run', async () => {
    const { sync, push } = setup();
    const controller = new AbortController();
    let calls = 0;
    const reconcile = sync.reconcile.bind(sync);
    sync.reconcile = async (options) => {
      calls += 1;
      if (calls === 1) throw new Error('catalog unreachable');
      if (calls === 2) controller.abort();
      return reconcile(options);
    };
    await push('rain');
    await runLoop({ sync, logger }, 5, controller.signal);
    expect(calls).toBe(2);
  });
});
