import { randomUUID } from 'node:crypto';
import type { MetastoreEvent, StoredEvent } from '../lib/event.model';
import type { Outbox } from '../lib/outbox.port';

/** An outbox under test, and how events get into it (a catalog transaction, in the adapter). */
export interface OutboxUnderTest {
  readonly outbox: Outbox;
  /** Records `events` (all of one dataset) as one catalog change of that dataset would, in order. */
  append(events: readonly MetastoreEvent[]): Promise<void>;
  readonly teardown?: () => Promise<void>;
}

/** A `dataset.created` event of `owner/name` (`name` may be written `owner/name`; the owner is acme otherwise). */
function eventFor(qualifiedName: string): MetastoreEvent {
  const [owner, name] = qualifiedName.includes('/') ? (qualifiedName.split('/') as [string, string]) : ['acme', qualifiedName];
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:metastore:test',
    type: 'dataset.created',
    subject: `${owner}/${name}`,
    time: '2024-01-02T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      dataset: { id: `${owner}/${name}`, owner, name, backend: 'local', location: `repositories/${owner}/${name}.git` },
      origin: 'api',
      oldRevision: null,
      newRevision: 'a'.repeat(40),
      author: { name: 'Alice', email: 'alice@example.com' },
      message: 'Ünïcode ✓',
    },
  };
}

/** Cursors that are not an event sequence: each must be refused as VALIDATION_FAILED, never read as "from the start". */
export const MALFORMED_CURSORS = ['abc', '', ' 1', '1.5', '-1', '1e3', '0x10', '12345678901234567890', '9223372036854775808'] as const;

/**
 * The behaviour every {@link Outbox} shares: relaying in sequence order with one lease, nothing marked when publishing
 * fails, a replayable feed paged by sequence (whole or one owner's, on the same cursor), malformed cursors refused.
 * Each adapter's spec calls it with its own setup.
 */
export function describeOutboxContract(label: string, setup: () => Promise<OutboxUnderTest>): void {
  describe(`Outbox contract: ${label}`, () => {
    let subject: OutboxUnderTest;

    /** The last sequence in the feed now (the suite may share a database with other tests). */
    async function lastSequence(): Promise<string | undefined> {
      let after: string | undefined;
      for (;;) {
        const page = await subject.outbox.feed(after, 1000);
        if (page.items.length > 0) after = page.items.at(-1)!.sequence;
        if (!page.nextCursor) return after;
      }
    }

    async function append(...names: string[]): Promise<MetastoreEvent[]> {
      const events = names.map(eventFor);
      await subject.append(events);
      return events;
    }

    beforeEach(async () => {
      subject = await setup();
      while ((await subject.outbox.relayBatch(1000, async () => undefined)) > 0);
    });
    afterEach(async () => {
      await subject.teardown?.();
    });

    it('relays the oldest unpublished events in sequence order, in batches of at most the limit, and marks them', async () => {
      const events = [...(await append('one', 'two')), ...(await append('three')), ...(await append('four', 'five'))];
      expect(await subject.outbox.pendingCount()).toBe(5);
      const batches: (readonly StoredEvent[])[] = [];
      const publish = async (batch: readonly StoredEvent[]) => void batches.push(batch);
      expect(await subject.outbox.relayBatch(3, publish)).toBe(3);
      expect(await subject.outbox.pendingCount()).toBe(2);
      expect(await subject.outbox.relayBatch(3, publish)).toBe(2);
      expect(await subject.outbox.relayBatch(3, publish)).toBe(0);
      expect(batches.map((batch) => batch.length)).toEqual([3, 2]);
      const published = batches.flat();
      expect(published.map((stored) => stored.event)).toEqual(events);
      expect(published.every((stored) => /^[1-9][0-9]*$/.test(stored.sequence))).toBe(true);
      const sequences = published.map((stored) => BigInt(stored.sequence));
      expect(sequences.every((sequence, index) => index === 0 || sequence > sequences[index - 1]!)).toBe(true);
    });

    it('marks nothing when publishing throws, rethrows its error, and relays the same events next time', async () => {
      await append('a', 'b');
      const failure = new Error('stream down');
      await expect(
        subject.outbox.relayBatch(10, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await subject.outbox.pendingCount()).toBe(2);
      const retried: StoredEvent[] = [];
      expect(await subject.outbox.relayBatch(10, async (batch) => void retried.push(...batch))).toBe(2);
      expect(retried.map((stored) => stored.event.subject)).toEqual(['acme/a', 'acme/b']);
    });

    it('feeds every event after a sequence, a page at a time, published or not', async () => {
      const start = await lastSequence();
      const events = [...(await append('f1', 'f2', 'f3')), ...(await append('f4', 'f5'))];
      const seen: StoredEvent[] = [];
      let after = start;
      let pages = 0;
      for (;;) {
        const page = await subject.outbox.feed(after, 2);
        seen.push(...page.items);
        pages += 1;
        if (!page.nextCursor) break;
        expect(page.items).toHaveLength(2);
        expect(page.nextCursor).toBe(page.items.at(-1)?.sequence);
        after = page.nextCursor;
      }
      expect(seen.map((stored) => stored.event)).toEqual(events);
      // 5 events in pages of 2: two full pages, then a short one (a full last page would need one more, empty, call).
      expect(pages).toBe(3);
      while ((await subject.outbox.relayBatch(1000, async () => undefined)) > 0);
      expect((await subject.outbox.feed(start, 100)).items.map((stored) => stored.event)).toEqual(events);
      expect(await subject.outbox.feed(seen.at(-1)!.sequence, 100)).toEqual({ items: [] });
    });

    it("feeds one owner's events with an owner filter, paged on the same cursor as the whole feed", async () => {
      const start = await lastSequence();
      const acme = [...(await append('acme/o1')), ...(await append('acme/o2'))];
      await append('acme-corp/o3');
      const later = [...(await append('acme/o4')), ...(await append('acme/o5'))];
      await append('other/o6', 'other/o7');
      const seen: StoredEvent[] = [];
      let after = start;
      for (;;) {
        const page = await subject.outbox.feed(after, 2, { owner: 'acme' });
        seen.push(...page.items);
        if (!page.nextCursor) break;
        expect(page.nextCursor).toBe(page.items.at(-1)?.sequence);
        after = page.nextCursor;
      }
      expect(seen.map((stored) => stored.event)).toEqual([...acme, ...later]);
      // A cursor from the whole feed (here: acme-corp's event, which the filter skips) resumes the filtered feed after it.
      const whole = (await subject.outbox.feed(start, 100)).items;
      expect(whole.map((stored) => stored.event.subject)).toEqual([
        'acme/o1',
        'acme/o2',
        'acme-corp/o3',
        'acme/o4',
        'acme/o5',
        'other/o6',
        'other/o7',
      ]);
      expect((await subject.outbox.feed(whole[2]!.sequence, 100, { owner: 'acme' })).items.map((stored) => stored.event)).toEqual(later);
      // ... and a cursor from the filtered feed resumes the whole one.
      expect((await subject.outbox.feed(seen[1]!.sequence, 100)).items).toEqual(whole.slice(2));
      expect(await subject.outbox.feed(start, 100, { owner: 'nobody' })).toEqual({ items: [] });
      expect((await subject.outbox.feed(start, 100, { owner: 'other' })).items.map((stored) => stored.event.subject)).toEqual([
        'other/o6',
        'other/o7',
      ]);
    });

    it('refuses a malformed cursor with an owner filter too', async () => {
      await expect(subject.outbox.feed('abc', 10, { owner: 'acme' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it.each(MALFORMED_CURSORS.map((cursor) => [JSON.stringify(cursor), cursor]))(
      'refuses the cursor %s as VALIDATION_FAILED',
      async (_name, cursor) => {
        await append('c');
        await expect(subject.outbox.feed(cursor, 10)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ pointer: '/after' }] });
      },
    );

    it('accepts the largest sequence there can be as a cursor: nothing after it', async () => {
      await append('d');
      expect(await subject.outbox.feed('9223372036854775807', 10)).toEqual({ items: [] });
    });
  });
}
