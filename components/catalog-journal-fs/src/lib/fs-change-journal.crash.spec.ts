import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runJournalCrashLoop } from '../testing/journal-crash-loop';

// METASTORE_JOURNAL_CRASH_KILLS sets how many writer processes are killed.
const kills = Number(process.env['METASTORE_JOURNAL_CRASH_KILLS'] ?? 30);

describe('FsChangeJournal killed with SIGKILL at random points', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'metastore-journal-crash-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it(
    `keeps every acknowledged append, whole and in order, and never reads a torn one, through ${kills} kills`,
    async () => {
      const result = await runJournalCrashLoop({ directory: path.join(root, 'catalog-journal'), kills });
      console.log(
        `${result.kills} kills: ${result.acknowledged} appends acknowledged, lost ${result.lost.length}, unreadable ${result.unreadable.length}, out of order ${result.outOfOrder.length}; kills that cut an append short ${result.appendsCutShort}`,
      );
      expect(result.writerErrors).toEqual([]);
      expect(result.lost).toEqual([]);
      expect(result.unreadable).toEqual([]);
      expect(result.outOfOrder).toEqual([]);
      // Not vacuous: appends were acknowledged, and kills landed in the middle of one.
      expect(result.acknowledged).toBeGreaterThan(0);
      expect(result.appendsCutShort).toBeGreaterThan(0);
    },
    60_000 + kills * 2_000,
  );
});
