import { BackoffLoop } from './backoff-loop';
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
  private readonly loop: BackoffLoop;

  constructor(
    private readonly outbox: Outbox,
    private readonly stream: EventStream,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    const intervalMs = options.intervalMs ?? 1000;
    this.loop = new BackoffLoop(
      async () => {
        const published = await this.drain();
        if (published > 0) options.logger?.debug({ published }, 'events published');
      },
      {
        idleMs: intervalMs,
        retryMs: intervalMs,
        maxRetryMs: 30_000,
        onFailure: (error, retryInMs) =>
          options.logger?.warn({ err: error, retryInMs }, 'could not publish events; they wait in the outbox'),
      },
    );
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
    const failingSince = this.loop.failingSince;
    return failingSince ? { failingSince } : {};
  }

  /** Starts the loop in the background. */
  start(): void {
    this.loop.start();
  }

  /** Asks the loop to look for new events now (after a write); while publishing fails, the backoff decides. */
  nudge(): void {
    this.loop.nudge();
  }

  /** Stops the loop after the batch in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
