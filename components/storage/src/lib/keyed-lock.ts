/**
 * Runs async work one at a time per key (e.g. per dataset), in arrival order, without blocking other keys.
 * In-process only: across processes, storage adapters still rely on their own compare-and-swap.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier call for `key` has settled. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many keys have work running or queued (for tests and metrics). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
