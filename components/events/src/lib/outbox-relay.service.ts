import type { EventStream, Outbox } from './outbox.port';

/** What the relay reports: failures to publish (the stream is down) and batches published. */
export interface RelayLogger {
  warn(object: object, message: string): void;
  debug(object: object, message: string): void;
}

/** Settings of the relay loop. */
export interface OutboxRelayOptions {
  /** Events per batch (one stream round trip, one database transaction). */
  readonly batchSize?: number;
  /** How often the loop looks for events when nobody nudges it, and how long it waits after a failure (doubling up to 30 s). */
  readonly intervalMs?: number;
  readonly logger?: RelayLogger;
}

/** What the relay loop knows of the stream: since when its attempts fail (absent while they succeed). */
export interface RelayStatus {
  readonly failingSince?: Date;
}

/**
 * Moves events from the outbox to the stream, oldest first. Runs as a loop (in the API, nudged after
 * each write, and in the sync worker) or once (`drain`). While the stream is down the events wait in
 * the outbox and the loop retries with backoff; nothing is lost and, since publishing is idempotent on
 * the sequence, nothing is duplicated.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nudged = false;
  /** After a failure the loop backs off; nudges then wait for the backoff instead of hammering a stream that is down. */
  private failing = false;
  private failingSince: Date | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly stream: EventStream,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Publishes until the outbox is empty (or another relay holds the lease); returns how many this call published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.outbox.relayBatch(this.batchSize, (events) => this.stream.publish(events));
      total += published;
      if (published < this.batchSize) return total;
    }
  }

  /** Whether the loop's attempts are failing, and since when (for readiness reports). */
  status(): RelayStatus {
    return this.failingSince ? { failingSince: this.failingSince } : {};
  }

  /** Starts the loop in the background. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the loop to look for new events now (after a write). */
  nudge(): void {
    this.nudged = true;
    if (!this.failing) this.wake?.();
  }

  /** Stops the loop after the batch in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = this.intervalMs;
    while (this.running) {
      this.nudged = false;
      try {
        const published = await this.drain();
        if (published > 0) this.options.logger?.debug({ published }, 'events published');
        delay = this.intervalMs;
        this.failing = false;
        this.failingSince = undefined;
      } catch (error) {
        this.options.logger?.warn({ err: error, retryInMs: delay }, 'could not publish events; they wait in the outbox');
        delay = Math.min(delay * 2, 30_000);
        this.failing = true;
        this.failingSince ??= new Date();
      }
      if (!this.running || (this.nudged && !this.failing)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
