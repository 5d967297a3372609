import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCrashLoop } from '../testing/crash-loop';

// METASTORE_CRASH_KILLS sets how many writer processes are killed (80 take 30-60 s on two busy cores).
const kills = Number(process.env['METASTORE_CRASH_KILLS'] ?? 80);

describe('LocalGitStorage killed with SIGKILL at random points', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-crash-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it(
    `keeps every acknowledged write, sound repositories, writable datasets and stable tag listings through ${kills} kills`,
    async () => {
      const result = await runCrashLoop({ dataDir, kills });
      const { leftovers } = result;
      console.log(
        [
          `${result.kills} kills, ${result.repositories} repositories`,
          `acknowledged ${result.acknowledged}, lost ${result.lost.length}, fsck failures ${result.fsckFailures.length}, ` +
            `stuck datasets ${result.stuckDatasets.length}, unstable tag listings ${result.unstableListings.length}, ` +
            `refused writes ${result.failedWrites.length}`,
          `kills that left a ref lock ${leftovers.refLocks}, a temporary object ${leftovers.temporaryObjects}, ` +
            `a temporary ref or lock-owner file ${leftovers.temporaryRefFiles}, a staged create ${leftovers.stagedCreates}`,
        ].join('\n'),
      );
      expect(result.writerErrors).toEqual([]);
      expect(result.failedWrites).toEqual([]);
      expect(result.lost).toEqual([]);
      expect(result.fsckFailures).toEqual([]);
      expect(result.stuckDatasets).toEqual([]);
      expect(result.unstableListings).toEqual([]);
      // Not vacuous: writes were acknowledged, and kills landed in the middle of writes.
      expect(result.acknowledged).toBeGreaterThan(0);
      expect(leftovers.refLocks + leftovers.temporaryObjects + leftovers.temporaryRefFiles).toBeGreaterThan(0);
    },
    60_000 + kills * 3_000,
  );
});
