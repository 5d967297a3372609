import { BackoffLoop } from './backoff-loop';

/** A pass whose outcomes the test scripts, and which tells how many times it ran. */
function scriptedPass(outcomes: ('ok' | 'fail')[]) {
  let calls = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    calls: () => calls,
    /** Resolves once the pass has run `count` times. */
    ranTimes: (count: number) => new Promise<void>((resolve) => (calls >= count ? resolve() : waiters.push({ count, resolve }))),
    pass: async () => {
      calls += 1;
      for (const waiter of waiters.filter((entry) => entry.count <= calls)) waiter.resolve();
      if ((outcomes[calls - 1] ?? 'ok') === 'fail') throw new Error(`failure ${calls}`);
    },
  };
}

/** Lets every pending callback (a pass woken by a call just made) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BackoffLoop', () => {
  it('backs off from retryMs doubling to maxRetryMs while passes fail, reports each wait, and starts over after a success', async () => {
    const script = scriptedPass(['fail', 'fail', 'fail', 'fail', 'ok', 'fail']);
    const waits: number[] = [];
    const loop = new BackoffLoop(script.pass, {
      idleMs: 1,
      retryMs: 1,
      maxRetryMs: 4,
      onFailure: (_error, retryInMs) => waits.push(retryInMs),
    });
    loop.start();
    await script.ranTimes(7);
    await loop.stop();
    expect(waits).toEqual([1, 2, 4, 4, 1]);
  });

  it('runs at once, again when nudged while passes succeed, and stops without waiting out its interval', async () => {
    const script = scriptedPass([]);
    const loop = new BackoffLoop(script.pass, { idleMs: 3_600_000, retryMs: 1, maxRetryMs: 1 });
    loop.start();
    loop.start();
    await script.ranTimes(1);
    await settle();
    loop.nudge();
    await script.ranTimes(2);
    await loop.stop();
    expect(script.calls()).toBe(2);
    expect(loop.failingSince).toBeUndefined();
  });

  it('while passes fail, ignores nudges and honours retryNow once retryMs has passed since the attempt, starting the backoff over', async () => {
    const script = scriptedPass(['fail', 'fail']);
    let now = 0;
    const waits: number[] = [];
    const since = new Date('2024-06-01T00:00:00Z');
    const loop = new BackoffLoop(script.pass, {
      idleMs: 3_600_000,
      retryMs: 3_600_000,
      maxRetryMs: 4 * 3_600_000,
      clock: () => since,
      now: () => now,
      onFailure: (_error, retryInMs) => waits.push(retryInMs),
    });
    loop.start();
    await script.ranTimes(1);
    await settle();
    expect(loop.failingSince).toBe(since);
    loop.nudge();
    loop.retryNow();
    await settle();
    expect(script.calls()).toBe(1);
    now += 3_600_000;
    loop.retryNow();
    await script.ranTimes(2);
    await settle();
    // The second failure waits retryMs again (not twice it): the dependency answered, so the outage counts from now.
    expect(waits).toEqual([3_600_000, 3_600_000]);
    now += 3_600_000;
    loop.retryNow();
    await script.ranTimes(3);
    await settle();
    expect(loop.failingSince).toBeUndefined();
    await loop.stop();
  });

  it('keeps running when its failure report throws', async () => {
    const script = scriptedPass(['fail']);
    const loop = new BackoffLoop(script.pass, {
      idleMs: 3_600_000,
      retryMs: 1,
      maxRetryMs: 1,
      onFailure: () => {
        throw new Error('logger broken');
      },
    });
    loop.start();
    await script.ranTimes(2);
    await loop.stop();
    expect(loop.failingSince).toBeUndefined();
  });
});
