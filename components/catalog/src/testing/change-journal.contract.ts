import type { DatasetChange } from '@metastore/events';
import type { Tag } from '@metastore/storage';
import type { ChangeJournal, JournaledChange } from '../lib/change-journal.port';

/** A journal under test: `reopen` gives a new instance over the same entries (a restarted process), when the adapter keeps any. */
export interface ChangeJournalUnderTest {
  readonly journal: ChangeJournal;
  readonly reopen?: () => Promise<ChangeJournal>;
  readonly teardown?: () => Promise<void>;
}

const sha = (digit: string) => digit.repeat(40);
const tag: Tag = {
  name: 'v1/é',
  target: sha('a'),
  description: 'first\u2028release',
  author: { name: 'Ada', email: 'ada@example.com' },
  createdAt: '2025-03-14T09:26:53.000Z',
};

/** A change of each shape the API journals, with what a careless encoding would lose: times, U+0000, nulls, nested descriptors. */
function sampleChanges(): JournaledChange[] {
  const base = { id: { owner: 'acme', name: 'rain' }, backend: 'local', location: 'repositories/acme/rain.git', origin: 'api' } as const;
  const created: DatasetChange = {
    ...base,
    type: 'dataset.created',
    time: new Date('2025-03-14T09:26:53.123Z'),
    author: { name: 'Ada', email: 'ada@example.com' },
    message: 'Create acme/rain',
    newRevision: sha('1'),
    descriptorSource: '{"name":"rain","title":"nul \\u0000 here"}',
  };
  const entry = {
    id: base.id,
    backend: 'local',
    location: base.location,
    headRevision: sha('1'),
    title: 'Rain',
    keywords: ['weather'],
    licenses: [],
    resourceCount: 0,
    createdAt: new Date('2025-03-14T09:26:53.000Z'),
    updatedAt: new Date('2025-03-14T09:26:53.000Z'),
    deleted: false,
  };
  return [
    {
      change: created,
      update: {
        entry,
        descriptors: [{ revision: sha('1'), source: created.descriptorSource! }],
        replaceAllTags: [],
        expect: { head: null },
      },
    },
    {
      change: {
        ...base,
        type: 'dataset.reverted',
        time: new Date('2025-03-15T00:00:00.000Z'),
        oldRevision: sha('1'),
        newRevision: sha('2'),
        revertedTo: sha('1'),
        previousDescriptor: { name: 'rain', nested: { list: [1, null, 'x'] } },
      },
      update: { entry: { ...entry, headRevision: sha('2') }, expect: { head: sha('1') } },
      createdAtFromCatalog: true,
    },
    {
      change: { ...base, type: 'tag.created', time: new Date(tag.createdAt), newRevision: tag.target, tag },
      update: { upsertTags: [tag], expect: { tag: { name: tag.name, state: null } } },
    },
    {
      change: { ...base, type: 'tag.deleted', time: new Date('2025-03-16T00:00:00.000Z'), oldRevision: tag.target, previousTag: tag },
      missed: { ...base, origin: 'sync', type: 'tag.created', time: new Date(tag.createdAt), newRevision: tag.target, tag },
      update: { removeTags: [tag.name], expect: { tag: { name: tag.name, state: null } } },
    },
    {
      change: { ...base, type: 'dataset.deleted', time: new Date('2025-03-17T00:00:00.000Z'), oldRevision: sha('2') },
      update: { deletedAt: new Date('2025-03-17T00:00:00.000Z'), expect: { head: sha('2') } },
    },
  ];
}

/** The contract of `ChangeJournal`: every adapter (and the in-memory fake) runs it. */
export function describeChangeJournalContract(label: string, setup: () => Promise<ChangeJournalUnderTest>): void {
  describe(`ChangeJournal contract: ${label}`, () => {
    let subject: ChangeJournalUnderTest;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await subject.teardown?.();
    });

    it('reads back every change in append order, exactly as appended (times, U+0000, nulls, nested values)', async () => {
      const { journal } = subject;
      expect(await journal.pending()).toBe(0);
      expect(await journal.read(10)).toEqual([]);
      const changes = sampleChanges();
      for (const change of changes) await journal.append(change);
      expect(await journal.pending()).toBe(changes.length);
      const entries = await journal.read(10);
      expect(entries.map((entry) => entry.change)).toEqual(changes);
      expect(entries.every((entry) => entry.problem === undefined)).toBe(true);
      const sequences = entries.map((entry) => entry.sequence);
      expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
      expect(new Set(sequences).size).toBe(sequences.length);
      expect(new Set(entries.map((entry) => entry.key)).size).toBe(entries.length);
      expect(entries[0]!.change!.change.time).toBeInstanceOf(Date);
    });

    it('reads the oldest entries first, at most `limit`; removed and set-aside entries are gone', async () => {
      const { journal } = subject;
      const changes = sampleChanges();
      for (const change of changes) await journal.append(change);
      const firstTwo = await journal.read(2);
      expect(firstTwo.map((entry) => entry.change)).toEqual(changes.slice(0, 2));
      await journal.remove(firstTwo[0]!);
      await journal.setAside(firstTwo[1]!, 'cannot be applied');
      expect(await journal.pending()).toBe(changes.length - 2);
      expect((await journal.read(10)).map((entry) => entry.change)).toEqual(changes.slice(2));
    });

    it('answers pendingNow (optional), when it answers, as pending does: across appends, reads, removals and a reopen', async () => {
      const check = async (journal: ChangeJournal) => {
        const before = journal.pendingNow?.();
        const counted = await journal.pending();
        for (const now of [before, journal.pendingNow?.()]) if (now !== undefined) expect(now).toBe(counted);
      };
      const { journal } = subject;
      await check(journal);
      for (const change of sampleChanges()) {
        await journal.append(change);
        await check(journal);
      }
      // Read entries are this process's appends seen on disk too: counted once.
      const entries = await journal.read(3);
      await check(journal);
      await journal.remove(entries[0]!);
      await check(journal);
      await journal.setAside(entries[1]!, 'cannot be applied');
      await check(journal);
      if (subject.reopen) await check(await subject.reopen());
    });

    it('keeps order for appends made at once (distinct sequences, each one read back)', async () => {
      const { journal } = subject;
      const changes = Array.from({ length: 20 }, (_, index) => ({
        ...sampleChanges()[2]!,
        change: { ...sampleChanges()[2]!.change, message: `change ${index}` },
      }));
      await Promise.all(changes.map((change) => journal.append(change)));
      const entries = await journal.read(100);
      expect(entries).toHaveLength(20);
      expect(new Set(entries.map((entry) => entry.change!.change.message)).size).toBe(20);
      expect(new Set(entries.map((entry) => entry.sequence)).size).toBe(20);
    });

    it('keeps its entries for the next process, whose appends come after them', async () => {
      if (!subject.reopen) return;
      const [first, second, third] = sampleChanges();
      await subject.journal.append(first!);
      await subject.journal.append(second!);
      const reopened = await subject.reopen();
      expect(await reopened.pending()).toBe(2);
      await reopened.append(third!);
      const entries = await reopened.read(10);
      expect(entries.map((entry) => entry.change)).toEqual([first, second, third]);
      await reopened.remove(entries[0]!);
      expect((await (await subject.reopen()).read(10)).map((entry) => entry.change)).toEqual([second, third]);
    });
  });
}
