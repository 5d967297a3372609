import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  halfJitterGenerator,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { CatalogStore } from '@metastore/catalog';
import { StorageUnavailableError } from '@metastore/errors';
import type { Outbox } from '@metastore/events';
import type { RevocationSource } from '@metastore/authz';

/** Where the circuit says it opened and closed (pino's logger fits). */
export interface CircuitLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** When the circuit opens and how long it stays open. */
export interface CatalogCircuitOptions {
  /** Consecutive failed calls that open the circuit (default 5). */
  readonly failures?: number;
  /** The first pause before a probe (default 1 s); it doubles with each failed probe up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  /** The longest pause (default 30 s). */
  readonly maxBackoffMs?: number;
  readonly logger?: CircuitLogger;
}

/** The circuit's state, as metrics report it. */
export type CircuitStatus = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker (cockatiel) in front of the catalog database. After `failures` consecutive calls failed with
 * STORAGE_UNAVAILABLE the circuit opens: calls fail at once, without a connection attempt, so reads fall back to git
 * and writes go to the journal without waiting for a connect timeout. After a pause (1 s, doubling to 30 s, with
 * jitter) one call probes the database while every other still fails at once; its success closes the circuit. Other
 * errors (a malformed cursor) are the caller's and count for nothing.
 */
export class CatalogCircuit {
  private readonly policy: CircuitBreakerPolicy;

  constructor(options: CatalogCircuitOptions = {}) {
    const initialDelay = options.initialBackoffMs ?? 1000;
    this.policy = circuitBreaker(
      handleWhen((error) => error instanceof StorageUnavailableError),
      {
        halfOpenAfter: new ExponentialBackoff({
          initialDelay,
          maxDelay: Math.max(initialDelay, options.maxBackoffMs ?? 30_000),
          generator: halfJitterGenerator,
        }),
        breaker: new ConsecutiveBreaker(options.failures ?? 5),
      },
    );
    this.policy.onBreak(() =>
      options.logger?.warn(
        { circuit: 'open' },
        'the catalog database keeps failing: calls skip it for a while (reads from git, changes to the journal)',
      ),
    );
    this.policy.onReset(() => options.logger?.info({ circuit: 'closed' }, 'the catalog database answers again'));
  }

  /** Calls `listener` after each call the database answered (the journal drainer's cue that an outage is over). */
  onAnswered(listener: () => void): void {
    this.policy.onSuccess(() => listener());
  }

  /** Runs a catalog call through the circuit: STORAGE_UNAVAILABLE at once while it is open, or while another call probes. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    // cockatiel makes calls arriving during a probe wait for it (up to a connect timeout): they fall back at once instead.
    if (this.policy.state === CircuitState.HalfOpen)
      throw new StorageUnavailableError('the catalog database is being probed after repeated failures; not asked meanwhile');
    try {
      return await this.policy.execute(call);
    } catch (error) {
      if (error instanceof BrokenCircuitError)
        throw new StorageUnavailableError('the catalog database is skipped after repeated failures (circuit open)', { cause: error });
      throw error;
    }
  }

  /** Closed (calls go through), open (they fail at once) or half-open (one probes). */
  status(): CircuitStatus {
    const state = this.policy.state;
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }
}

/** The catalog store with every call through `circuit`. */
export function catalogThroughCircuit(catalog: CatalogStore, circuit: CatalogCircuit): CatalogStore {
  return {
    apply: (update) => circuit.run(() => catalog.apply(update)),
    getDataset: (id) => circuit.run(() => catalog.getDataset(id)),
    search: (query) => circuit.run(() => catalog.search(query)),
    scan: (page) => circuit.run(() => catalog.scan(page)),
    descriptorAt: (id, revision) => circuit.run(() => catalog.descriptorAt(id, revision)),
    getTag: (id, name) => circuit.run(() => catalog.getTag(id, name)),
    listTags: (id) => circuit.run(() => catalog.listTags(id)),
    announcedTagLeaving: (id, tag) => circuit.run(() => catalog.announcedTagLeaving(id, tag)),
    checkReady: () => circuit.run(() => catalog.checkReady()),
  };
}

/** The revocation list with every call through `circuit`: while it is open, the cached copy answers at once. */
export function revocationsThroughCircuit(revocations: RevocationSource, circuit: CatalogCircuit): RevocationSource {
  return {
    revoke: (tokenId, expiresAt) => circuit.run(() => revocations.revoke(tokenId, expiresAt)),
    isRevoked: (tokenId) => circuit.run(() => revocations.isRevoked(tokenId)),
    revokedTokenIds: () => circuit.run(() => revocations.revokedTokenIds()),
  };
}

/**
 * The outbox with its reads (the event feed, the backlog) through `circuit`. The relay's batches go straight to the
 * database: the relay backs off by itself, and a batch failing because Redis is down says nothing about PostgreSQL.
 */
export function outboxThroughCircuit(outbox: Outbox, circuit: CatalogCircuit): Outbox {
  return {
    relayBatch: (limit, publish) => outbox.relayBatch(limit, publish),
    feed: (after, limit, filter) => circuit.run(() => outbox.feed(after, limit, filter)),
    pendingCount: () => circuit.run(() => outbox.pendingCount()),
  };
}
