/** How a BackoffLoop paces itself. */
export interface BackoffLoopOptions {
  /** The wait after a pass that succeeded: how often an idle loop looks again. */
  readonly idleMs: number;
  /** The first wait after a pass failed, doubling after each failure in a row up to `maxRetryMs`. */
  readonly retryMs: number;
  /** The longest wait between attempts while passes fail (at least `retryMs`). */
  readonly maxRetryMs: number;
  /** Stamps `failingSince` (default: the system clock). */
  readonly clock?: () => Date;
  /** Milliseconds for `retryNow`'s rate limit (default `Date.now`). */
  readonly now?: () => number;
  /** Told each failure and the wait before the next attempt; awaited, and its own failure ignored. */
  readonly onFailure?: (error: unknown, retryInMs: number) => unknown;
}

/**
 * Runs a pass in the background (the outbox relay, the journal drainer): at once, then again when nudged (unless passes
 * fail, where the backoff decides), when told to retry, after `idleMs` while passes succeed, and after a backoff while
 * they fail (`retryMs` doubling to `maxRetryMs`, starting over after a success or `retryNow`).
 */
export class BackoffLoop {
  private readonly maxRetryMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nudged = false;
  private retryRequested = false;
  private lastAttempt = 0;
  private delay: number;
  private since: Date | undefined;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly options: BackoffLoopOptions,
  ) {
    this.maxRetryMs = Math.max(options.retryMs, options.maxRetryMs);
    this.delay = options.retryMs;
  }

  /** Since when passes fail; undefined while they succeed. */
  get failingSince(): Date | undefined {
    return this.since;
  }

  /** Starts the loop; a second call does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks for a pass now; ignored while passes fail, where the backoff decides. */
  nudge(): void {
    this.nudged = true;
    if (!this.since) this.wake?.();
  }

  /** While passes fail, a pass now and the backoff from the start (the dependency answered someone else); at most once per `retryMs`. */
  retryNow(): void {
    if (!this.since || this.currentMs() - this.lastAttempt < this.options.retryMs) return;
    this.retryRequested = true;
    this.wake?.();
  }

  /** Stops the loop after the pass in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.nudged = false;
      this.retryRequested = false;
      this.lastAttempt = this.currentMs();
      let wait = this.options.idleMs;
      try {
        await this.pass();
        this.since = undefined;
        this.delay = this.options.retryMs;
      } catch (error) {
        this.since ??= this.options.clock?.() ?? new Date();
        wait = this.delay;
        this.delay = Math.min(this.delay * 2, this.maxRetryMs);
        try {
          await this.options.onFailure?.(error, wait);
        } catch {
          // A report that fails must not stop the loop.
        }
      }
      if (!this.running || (this.nudged && !this.since)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.retryRequested) this.delay = this.options.retryMs;
    }
  }

  private currentMs(): number {
    return this.options.now?.() ?? Date.now();
  }
}
