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
    expect(result).toEqual({ ok: true, published: 1, summary: expect.objectContaining({ created: 1, failures: 0 }) });
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
    expect(result).toEqual({ ok: false, summary: expect.objectContaining({ failures: 1 }) });
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
