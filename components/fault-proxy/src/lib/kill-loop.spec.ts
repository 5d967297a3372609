import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKillLoop } from './kill-loop';

describe('runKillLoop', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'metastore-kill-loop-spec-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('starts and kills a bundled child each run, collecting its complete lines, the children that died first, and the leftovers', async () => {
    const progress: [number, number][] = [];
    const result = await runKillLoop({
      entryPoint: path.join(__dirname, '../testing/kill-loop-child.main.ts'),
      args: (run) => [directory, String(run), run === 1 ? 'exit' : 'hang'],
      kills: 3,
      maxDelayMs: 20,
      scanLeftovers: async () => ({ files: new Set((await readdir(directory)).filter((name) => name.startsWith('left-'))) }),
      onKill: (run, lines) => progress.push([run, lines]),
    });
    expect(result.kills).toBe(3);
    // Ready lines are not collected, nor the line each kill cut short.
    expect(result.lines).toEqual(['ack 0 0', 'ack 2 0']);
    expect(result.childErrors).toEqual(['child 1 exited with 2: boom']);
    // Run 1 died before leaving anything; runs 0 and 2 each left a new file.
    expect(result.leftovers).toEqual({ files: 2 });
    expect(progress).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
    ]);
  });

  it('takes its own readiness test and counts no leftovers when asked for none', async () => {
    const result = await runKillLoop({
      entryPoint: path.join(__dirname, '../testing/kill-loop-child.main.ts'),
      args: (run) => [directory, String(run), 'hang'],
      kills: 1,
      maxDelayMs: 0,
      isReady: (line) => line.startsWith('ack '),
    });
    expect(result).toEqual({ kills: 1, lines: ['ready'], childErrors: [], leftovers: {} });
  });
});
