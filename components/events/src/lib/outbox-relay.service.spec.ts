import { InMemoryOutbox } from '../testing/in-memory.outbox';
import { eventFromChange } from './event.builder';
import type { StoredEvent } from './event.model';
import { OutboxRelay } from './outbox-relay.service';

const options = { source: 'urn:test', maxDescriptorBytes: 1024, descriptorUrl: () => 'http://x' };
const event = (name: string) =>
  eventFromChange(
    { type: 'dataset.deleted', id: { owner: 'acme', name }, backend: 'memory', location: 'memory:x', time: new Date(0), origin: 'api' },
    options,
  );

/** A stream that can be switched off, keeping what it received in order. */
class SwitchableStream {
  up = true;
  readonly received: StoredEvent[] = [];
  async publish(events: readonly StoredEvent[]): Promise<void> {
    if (!this.up) throw new Error('stream down');
    this.received.push(...events);
  }
}

describe('OutboxRelay', () => {
  it('publishes everything in sequence order, in batches', async () => {
    const outbox = new InMemoryOutbox();
    const stream = new SwitchableStream();
    outbox.append(...['a', 'b', 'c', 'd', 'e'].map(event));
    expect(await new OutboxRelay(outbox, stream, { batchSize: 2 }).drain()).toBe(5);
    expect(stream.received.map((stored) => stored.event.subject)).toEqual(['acme/a', 'acme/b', 'acme/c', 'acme/d', 'acme/e']);
    expect(await outbox.pendingCount()).toBe(0);
  });

  it('keeps events in the outbox while the stream is down and publishes them, once each, when it returns', async () => {
    const outbox = new InMemoryOutbox();
    const stream = new SwitchableStream();
    const warnings: string[] = [];
    const relay = new OutboxRelay(outbox, stream, {
      intervalMs: 10,
      logger: { warn: (_o, message) => warnings.push(message), debug: () => undefined },
    });
    stream.up = false;
    relay.start();
    outbox.append(event('a'), event('b'));
    relay.nudge();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await outbox.pendingCount()).toBe(2);
    expect(warnings.length).toBeGreaterThan(0);
    expect(relay.status().failingSince).toBeInstanceOf(Date);
    stream.up = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(relay.status()).toEqual({});
    await relay.stop();
    expect(stream.received.map((stored) => stored.sequence)).toEqual(['1', '2']);
    expect(await outbox.pendingCount()).toBe(0);
  });

  it('publishes soon after a nudge and stops cleanly', async () => {
    const outbox = new InMemoryOutbox();
    const stream = new SwitchableStream();
    const relay = new OutboxRelay(outbox, stream, { intervalMs: 60_000 });
    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    outbox.append(event('a'));
    relay.nudge();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.received).toHaveLength(1);
    await relay.stop();
  });
});
