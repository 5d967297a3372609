import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { MetastoreEvent } from '@metastore/events';
import { createRedisClient, redisUnavailable, scrubRedisError, type RedisConnectionLogger } from './redis-connection';
import { DEFAULT_EVENTS_STREAM } from './redis-events.config';
import { entriesOf, entriesOfRead, fieldsOf, type StreamEntry } from './stream-entry';

/** How an event reached the handler. */
export interface DeliveryMeta {
  /** The entry's ID in the stream (`<ms>-<n>`). */
  readonly streamId: string;
  /** The outbox sequence of the event (decimal string). */
  readonly sequence: string;
  /** 1 on the first delivery; more when the event is retried or was reclaimed from a consumer that stopped. */
  readonly deliveryCount: number;
}

/** Handles one event; a rejection leaves it pending, to be retried (and dead-lettered after too many attempts). */
export type StreamEventHandler = (event: MetastoreEvent, meta: DeliveryMeta) => Promise<void>;

/** What the consumer reports: connection trouble, handler failures, dead letters, reclaimed entries. */
export interface StreamConsumerLogger extends RedisConnectionLogger {
  error(object: object, message: string): void;
  debug(object: object, message: string): void;
}

/** Which connection a client factory is asked for: ordinary commands, or the one that blocks in XREADGROUP. */
export type StreamConsumerConnectionRole = 'commands' | 'blocking';

/** Settings of a {@link StreamConsumer}. */
export interface StreamConsumerOptions {
  /** A Redis URL, or a factory of clients (called once per role on `start()`); the consumer closes the clients on `stop()`. */
  readonly redis: string | ((role: StreamConsumerConnectionRole) => Redis);
  /** The consumer group, one per kind of consumer (`search-indexer`); its members share the work. */
  readonly group: string;
  readonly handler: StreamEventHandler;
  /** The stream key (default `metastore:events`). */
  readonly stream?: string;
  /** This member's name, unique in the group and stable across restarts if possible (default `<hostname>-<pid>`). */
  readonly consumer?: string;
  /** Where a group created now starts: `0` (default) reads the whole stream, `$` only what is added from now on. */
  readonly startId?: string;
  /** Entries per read (XREADGROUP / XAUTOCLAIM `COUNT`, default 10). */
  readonly batchSize?: number;
  /** Longest wait of one read for new entries (default 5000 ms); `stop()` interrupts it. */
  readonly blockMs?: number;
  /**
   * Entries pending (delivered, unacknowledged) longer than this are reclaimed, from any member (default 60000 ms); keep it above the
   * slowest handler.
   */
  readonly minIdleMs?: number;
  /** How often to look for such entries (default 30000 ms). */
  readonly claimIntervalMs?: number;
  /** Deliveries after which a failing event goes to the dead-letter stream (default 5). */
  readonly maxDeliveries?: number;
  /** Dead-letter stream key (default `<stream>:dead`). */
  readonly deadLetterStream?: string;
  /** Approximate number of dead letters kept (default 100000). */
  readonly deadLetterMaxLength?: number;
  /** How long a command may wait for Redis before it fails and the loop backs off (default 2000 ms). */
  readonly timeoutMs?: number;
  readonly logger?: StreamConsumerLogger;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isMissingGroup(error: unknown): boolean {
  return errorMessage(error).startsWith('NOGROUP');
}

/**
 * A member of a Redis consumer group: reads new entries (XREADGROUP BLOCK on its own connection), calls the
 * handler for each in order, and acknowledges it once the handler resolves, so every event is handled at
 * least once. Periodically it reclaims entries left pending longer than `minIdleMs` (XAUTOCLAIM), by a
 * crashed member or by a failed attempt of its own, and moves an event that failed `maxDeliveries` times
 * to the dead-letter stream with `error`, `deliveries` and `consumer` fields (XADD and XACK in one MULTI).
 * On start it first resumes the entries still pending for its own name.
 */
export class StreamConsumer {
  /** The stream key. */
  readonly stream: string;
  /** The consumer group. */
  readonly group: string;
  /** This member's name in the group. */
  readonly consumer: string;
  /** The dead-letter stream key. */
  readonly deadLetterStream: string;
  private readonly startId: string;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly minIdleMs: number;
  private readonly claimIntervalMs: number;
  private readonly maxDeliveries: number;
  private readonly deadLetterMaxLength: number;
  private readonly timeoutMs: number;
  /** The Redis URL, when the consumer was given one (for redacted messages). */
  private readonly url: string | undefined;
  private commands: Redis | undefined;
  private blocking: Redis | undefined;
  private blockingClientId: number | undefined;
  private running = false;
  private reading = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: StreamConsumerOptions) {
    this.stream = options.stream ?? DEFAULT_EVENTS_STREAM;
    this.group = options.group;
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.deadLetterStream = options.deadLetterStream ?? `${this.stream}:dead`;
    this.startId = options.startId ?? '0';
    this.batchSize = options.batchSize ?? 10;
    this.blockMs = options.blockMs ?? 5000;
    this.minIdleMs = options.minIdleMs ?? 60_000;
    this.claimIntervalMs = options.claimIntervalMs ?? 30_000;
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.deadLetterMaxLength = options.deadLetterMaxLength ?? 100_000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.url = typeof options.redis === 'string' ? options.redis : undefined;
  }

  /** Connects, creates the group if it does not exist (with MKSTREAM), and starts consuming in the background. */
  async start(): Promise<void> {
    if (this.commands) return;
    this.commands = this.connect('commands');
    this.blocking = this.connect('blocking');
    const blocking = this.blocking;
    // The ID changes with every reconnection; stop() uses it to end a blocked read cleanly (CLIENT UNBLOCK).
    blocking.on('ready', () => {
      blocking.client('ID').then(
        (id) => (this.blockingClientId = Number(id)),
        () => undefined,
      );
    });
    try {
      await this.ensureGroup();
      this.blockingClientId = Number(await blocking.client('ID'));
    } catch (error) {
      await this.closeConnections();
      throw redisUnavailable(`creating consumer group '${this.group}' on Redis stream '${this.stream}'`, this.url, error);
    }
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops consuming: the event being handled is finished and acknowledged, a blocked read is ended, and the
   * connections are closed. Entries read but not yet handled stay pending for this member's name: resumed when
   * it starts again, or reclaimed by another member after `minIdleMs`.
   */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.running = false;
    this.wake?.();
    await this.interruptRead();
    await this.loop;
    this.loop = undefined;
    await this.closeConnections();
  }

  private connect(role: StreamConsumerConnectionRole): Redis {
    const { redis } = this.options;
    if (typeof redis !== 'string') return redis(role);
    return createRedisClient(redis, {
      // CLIENT SETNAME refuses spaces; the name only labels the connection.
      name: `metastore-consumer-${this.group}-${role}`.replace(/[^A-Za-z0-9._:-]/g, '_'),
      timeoutMs: this.timeoutMs,
      blocking: role === 'blocking',
      logger: this.options.logger,
    });
  }

  private async closeConnections(): Promise<void> {
    this.blocking?.disconnect();
    try {
      await this.commands?.quit();
    } catch {
      this.commands?.disconnect();
    }
    this.commands = undefined;
    this.blocking = undefined;
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.commands!.xgroup('CREATE', this.stream, this.group, this.startId, 'MKSTREAM');
    } catch (error) {
      if (!errorMessage(error).startsWith('BUSYGROUP')) throw error;
    }
  }

  /** Ends a blocked read: CLIENT UNBLOCK makes it return as if it timed out; if that cannot be done, the connection is dropped. */
  private async interruptRead(): Promise<void> {
    if (!this.reading) return;
    let unblocked = false;
    try {
      if (this.blockingClientId !== undefined) unblocked = Number(await this.commands!.client('UNBLOCK', this.blockingClientId)) === 1;
    } catch {
      unblocked = false;
    }
    if (!unblocked && this.reading) this.blocking?.disconnect();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let resumed = false;
    let nextClaimAt = 0;
    while (this.running) {
      try {
        if (!resumed) {
          await this.resumeOwnPending();
          resumed = true;
        }
        if (Date.now() >= nextClaimAt) {
          await this.claimStale();
          nextClaimAt = Date.now() + this.claimIntervalMs;
        }
        if (!this.running) break;
        const entries = await this.readNew(Math.max(1, Math.min(this.blockMs, nextClaimAt - Date.now())));
        for (const entry of entries) {
          // stop() lets the entry in hand finish; the rest stay pending for this member.
          if (!this.running) break;
          await this.handleEntry(entry, 1);
        }
        failures = 0;
      } catch (error) {
        if (!this.running) break;
        failures += 1;
        const retryInMs = Math.min(100 * 2 ** failures, 5000);
        this.options.logger?.warn(
          { err: scrubRedisError(error, this.url), stream: this.stream, group: this.group, retryInMs },
          'stream consumer failed; retrying',
        );
        if (isMissingGroup(error)) {
          // The stream was deleted, or Redis restarted without persistence: make the group again.
          await this.ensureGroup().catch(() => undefined);
        }
        await this.sleep(retryInMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => (this.wake = undefined));
  }

  private async readNew(blockMs: number): Promise<StreamEntry[]> {
    this.reading = true;
    try {
      const reply: unknown = await this.blocking!.xreadgroup(
        'GROUP',
        this.group,
        this.consumer,
        'COUNT',
        this.batchSize,
        'BLOCK',
        blockMs,
        'STREAMS',
        this.stream,
        '>',
      );
      return entriesOfRead(reply, this.stream);
    } finally {
      this.reading = false;
    }
  }

  /** Entries delivered to this member's name before (a previous run that stopped or crashed), oldest first. */
  private async resumeOwnPending(): Promise<void> {
    let after = '0';
    while (this.running) {
      const reply: unknown = await this.commands!.xreadgroup(
        'GROUP',
        this.group,
        this.consumer,
        'COUNT',
        this.batchSize,
        'STREAMS',
        this.stream,
        after,
      );
      const entries = entriesOfRead(reply, this.stream);
      if (entries.length === 0) return;
      await this.handleRedelivered(entries);
      after = entries[entries.length - 1]![0];
    }
  }

  /** Takes over entries pending longer than `minIdleMs`, whoever holds them, and handles them. */
  private async claimStale(): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await this.commands!.xautoclaim(
        this.stream,
        this.group,
        this.consumer,
        this.minIdleMs,
        cursor,
        'COUNT',
        this.batchSize,
      )) as unknown[];
      cursor = typeof reply[0] === 'string' ? reply[0] : '0-0';
      const entries = entriesOf(reply[1]);
      if (entries.length > 0) {
        this.options.logger?.debug(
          { stream: this.stream, group: this.group, streamIds: entries.map(([id]) => id) },
          'reclaimed pending entries',
        );
        await this.handleRedelivered(entries);
      }
    } while (cursor !== '0-0' && this.running);
  }

  /** Delivery counts of entries pending for this member, from XPENDING (one pipelined round trip). */
  private async deliveryCounts(streamIds: readonly string[]): Promise<Map<string, number>> {
    const replies = await this.commands!.pipeline(
      streamIds.map((id) => ['xpending', this.stream, this.group, id, id, 1, this.consumer]),
    ).exec();
    const counts = new Map<string, number>();
    for (const [error, reply] of replies ?? []) {
      if (error) throw error;
      const row = (reply as unknown[])[0];
      if (Array.isArray(row) && typeof row[0] === 'string') counts.set(row[0], Number(row[3]));
    }
    return counts;
  }

  private async handleRedelivered(entries: readonly StreamEntry[]): Promise<void> {
    const counts = await this.deliveryCounts(entries.map(([id]) => id));
    for (const entry of entries) {
      if (!this.running) return;
      const deliveries = counts.get(entry[0]);
      // Not pending for this member any more: another member acknowledged or claimed it meanwhile.
      if (deliveries === undefined) continue;
      if (deliveries > this.maxDeliveries && entry[1] !== null) {
        // The handler never settled that many times (the consumer crashed each time): do not try again.
        await this.deadLetter(entry, `not acknowledged after ${deliveries - 1} deliveries`, deliveries);
      } else {
        await this.handleEntry(entry, deliveries);
      }
    }
  }

  private async handleEntry(entry: StreamEntry, deliveries: number): Promise<void> {
    const [streamId, fields] = entry;
    if (fields === null) {
      await this.commands!.xack(this.stream, this.group, streamId);
      return;
    }
    const values = fieldsOf(fields);
    let event: MetastoreEvent;
    try {
      event = JSON.parse(values['event'] ?? '') as MetastoreEvent;
      if (typeof event !== 'object' || event === null || typeof event.type !== 'string') throw new Error('no CloudEvents object');
    } catch (error) {
      await this.deadLetter(entry, `malformed entry: ${errorMessage(error)}`, deliveries);
      return;
    }
    try {
      await this.options.handler(event, { streamId, sequence: values['sequence'] ?? '', deliveryCount: deliveries });
    } catch (error) {
      if (deliveries >= this.maxDeliveries) {
        await this.deadLetter(entry, errorMessage(error), deliveries);
      } else {
        this.options.logger?.warn(
          { err: error, stream: this.stream, group: this.group, streamId, eventId: event.id, deliveries, retryAfterMs: this.minIdleMs },
          'event handler failed; the event will be retried',
        );
      }
      return;
    }
    await this.commands!.xack(this.stream, this.group, streamId);
  }

  private async deadLetter(entry: StreamEntry, error: string, deliveries: number): Promise<void> {
    const [streamId, fields] = entry;
    const results = await this.commands!.multi()
      .xadd(
        this.deadLetterStream,
        'MAXLEN',
        '~',
        this.deadLetterMaxLength,
        '*',
        ...(fields ?? []),
        'error',
        error,
        'deliveries',
        String(deliveries),
        'consumer',
        this.consumer,
        'group',
        this.group,
        'streamId',
        streamId,
      )
      .xack(this.stream, this.group, streamId)
      .exec();
    const failed = (results ?? []).find(([failure]) => failure);
    if (failed) throw failed[0];
    this.options.logger?.error(
      {
        stream: this.stream,
        group: this.group,
        streamId,
        eventId: fieldsOf(fields ?? [])['id'],
        deliveries,
        error,
        deadLetterStream: this.deadLetterStream,
      },
      'event moved to the dead-letter stream',
    );
  }
}
