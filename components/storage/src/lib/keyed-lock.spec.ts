import { KeyedLock } from './keyed-lock';

describe('KeyedLock', () => {
  it('serialises work per key in arrival order and forgets idle keys', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const step = (label: string, ms: number) =>
      lock.run('a', async () => {
        events.push(`start ${label}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${label}`);
        return label;
      });
    const results = await Promise.all([step('1', 20), step('2', 1), step('3', 5)]);
    expect(results).toEqual(['1', '2', '3']);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(lock.activeKeys).toBe(0);
  });

  it('runs different keys concurrently and survives a failing task', async () => {
    const lock = new KeyedLock();
    let concurrent = 0;
    let peak = 0;
    const task = (key: string) =>
      lock.run(key, async () => {
        concurrent += 1;
        peak = Math.max(peak, concurrent);
        await new Promise((resolve) => setTimeout(resolve, 10));
        concurrent -= 1;
      });
    await Promise.all([task('x'), task('y')]);
    expect(peak).toBe(2);
    await expect(lock.run('x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run('x', async () => 'after')).resolves.toBe('after');
  });
});
