import type { DatasetId } from '@metastore/storage';
import { DatasetSyncQueue } from './dataset-sync-queue';

const id = (name: string): DatasetId => ({ owner: 'acme', name });

/** A sync that records its calls and finishes only when the test releases it. */
function controlledSync() {
  const calls: string[] = [];
  const pending: { name: string; release: (error?: Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const sync = (dataset: DatasetId) =>
    new Promise<void>((resolve, reject) => {
      calls.push(dataset.name);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      pending.push({
        name: dataset.name,
        release: (error) => {
          running -= 1;
          if (error) reject(error);
          else resolve();
        },
      });
    });
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()!.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { sync, calls, pending, releaseAll, maxRunning: () => maxRunning };
}

describe('DatasetSyncQueue', () => {
  it('coalesces deliveries for a dataset that waits, and queues one more run for a dataset being synced', async () => {
    const control = controlledSync();
    const queue = new DatasetSyncQueue(control.sync, { settleMs: 0, concurrency: 1 });
    expect(queue.schedule(id('a'))).toBe('queued');
    expect(control.calls).toEqual(['a']);
    // `a` runs: a new delivery may name a push it did not see, so it runs once more afterwards (however many arrive).
    expect(queue.schedule(id('a'))).toBe('queued');
    expect(queue.schedule(id('a'))).toBe('coalesced');
    expect(queue.schedule(id('b'))).toBe('queued');
    expect(queue.schedule(id('b'))).toBe('coalesced');
    expect(queue.length).toBe(2);
    await control.releaseAll();
    await control.releaseAll();
    await queue.idle();
    expect(control.calls).toEqual(['a', 'a', 'b']);
    expect(control.maxRunning()).toBe(1);
    expect(queue.outcomes).toEqual({ synced: 3, failed: 0, dropped: 0 });
  });

  it('never syncs one dataset twice at once, and runs others beside it up to the concurrency', async () => {
    const control = controlledSync();
    const queue = new DatasetSyncQueue(control.sync, { settleMs: 0, concurrency: 2 });
    queue.schedule(id('a'));
    queue.schedule(id('a'));
    queue.schedule(id('b'));
    queue.schedule(id('c'));
    expect(control.calls).toEqual(['a', 'b']);
    control.pending.shift()!.release();
    await new Promise((resolve) => setImmediate(resolve));
    // `a` finished: its second run and `c` wait in order; `a` comes first.
    expect(control.calls).toEqual(['a', 'b', 'a']);
    await control.releaseAll();
    await control.releaseAll();
    await queue.idle();
    expect(control.calls).toEqual(['a', 'b', 'a', 'c']);
    expect(control.maxRunning()).toBe(2);
  });

  it('drops what does not fit and counts failures without throwing', async () => {
    const control = controlledSync();
    const warnings: string[] = [];
    const errors: string[] = [];
    const logger = {
      warn: (_: object, message: string) => warnings.push(message),
      error: (_: object, message: string) => errors.push(message),
    };
    const queue = new DatasetSyncQueue(control.sync, { settleMs: 0, concurrency: 1, capacity: 1, logger });
    queue.schedule(id('a'));
    expect(queue.schedule(id('b'))).toBe('queued');
    expect(queue.schedule(id('c'))).toBe('dropped');
    control.pending.shift()!.release(new Error('GitHub is down'));
    await new Promise((resolve) => setImmediate(resolve));
    await control.releaseAll();
    await queue.idle();
    expect(queue.outcomes).toEqual({ synced: 1, failed: 1, dropped: 1 });
    expect(warnings).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('waits `settleMs` before a sync starts, so that deliveries arriving meanwhile fold into it', async () => {
    const control = controlledSync();
    const queue = new DatasetSyncQueue(control.sync, { settleMs: 50 });
    expect(queue.schedule(id('a'))).toBe('queued');
    expect(queue.schedule(id('a'))).toBe('coalesced');
    expect(control.calls).toEqual([]);
    while (control.pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await control.releaseAll();
    await queue.idle();
    expect(control.calls).toEqual(['a']);
  });

  it('drops what waits when stopped, and waits for what runs', async () => {
    const control = controlledSync();
    const queue = new DatasetSyncQueue(control.sync, { settleMs: 0, concurrency: 1 });
    queue.schedule(id('a'));
    queue.schedule(id('b'));
    const stopped = queue.stop();
    expect(queue.schedule(id('c'))).toBe('dropped');
    await control.releaseAll();
    await stopped;
    expect(control.calls).toEqual(['a']);
    expect(queue.outcomes).toEqual({ synced: 1, failed: 0, dropped: 2 });
  });
});
