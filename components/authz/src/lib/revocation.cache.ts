import { StorageUnavailableError } from '@metastore/errors';
import type { RevocationList, RevocationSource } from './revocation.port';

/** Where the cache says it degraded, failed closed or recovered: a logger-like sink (pino's logger fits; none: silent). */
export interface RevocationLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** How long the cache trusts a loaded list, and how long it serves one it cannot refresh. */
export interface CachedRevocationsOptions {
  /** A loaded list answers for this long before it is loaded again (default 30 s). */
  readonly ttlMs?: number;
  /**
   * While loading fails, the last loaded list still answers until it is this much older than `ttlMs` (default 5 min); then tokens with an
   * id get 503.
   */
  readonly staleMs?: number;
  /** Longest a request waits for the list to load; past it, a usable older list answers (default 2 s). */
  readonly loadTimeoutMs?: number;
  readonly clock?: () => number;
  readonly logger?: RevocationLogger;
}

/** What the cache can say about the list right now, for readiness and metrics. */
export interface RevocationListHealth {
  /**
   * `fresh`: the last load succeeded; `stale`: loading fails, an older list answers; `unavailable`: loading fails and no usable list is
   * left (fail closed).
   */
  readonly state: 'fresh' | 'stale' | 'unavailable';
  /** Seconds since the list answering was loaded, while loading fails (0 while it succeeds). */
  readonly staleSeconds: number;
  /** When the list answering was loaded, if one ever was. */
  readonly loadedAt?: Date;
}

/** Resolves as `promise` does, or rejects after `ms` (the promise goes on; its result is kept by whoever started it). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageUnavailableError(`the revocation list did not load within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The revocation list, loaded whole and kept in memory (every authenticated request asks it). It is loaded again once
 * older than `ttlMs`: revocations made through this process take effect at once, those made by another replica within
 * `ttlMs`. While the list cannot be loaded (the catalog database is down) the last loaded one keeps answering, for at
 * most `staleMs` past its TTL, logged and reported (`health()`); after that, or with no list ever loaded, `isRevoked`
 * fails with STORAGE_UNAVAILABLE (503): a token's revocation is never guessed.
 */
export class CachedRevocations implements RevocationList {
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly loadTimeoutMs: number;
  private readonly clock: () => number;
  private revoked: Set<string> | undefined;
  private loadedAt = 0;
  /**
   * Tokens this process revoked, until they expire: added to every list loaded, since a load that read the database
   * before a revocation committed would otherwise answer without it until the next load.
   */
  private readonly revokedHere = new Map<string, number>();
  private loading: Promise<void> | undefined;
  /** Set while loading fails: the last failure, when the failing began, and when to try again. */
  private failure: { error: unknown; since: number; retryAt: number; closed: boolean } | undefined;

  constructor(
    private readonly source: RevocationSource,
    private readonly options: CachedRevocationsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.staleMs = options.staleMs ?? 300_000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 2_000;
    this.clock = options.clock ?? Date.now;
  }

  async revoke(tokenId: string, expiresAt: Date): Promise<void> {
    await this.source.revoke(tokenId, expiresAt);
    this.revokedHere.set(tokenId, expiresAt.getTime());
    this.revoked?.add(tokenId);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    if (!this.fresh() && (!this.failure || this.clock() >= this.failure.retryAt)) await this.load();
    if (this.revoked && (this.fresh() || this.usable())) return this.revoked.has(tokenId);
    if (this.failure && !this.failure.closed) {
      this.failure.closed = true;
      this.options.logger?.error(
        { err: this.failure.error, ...(this.revoked ? { loadedAt: new Date(this.loadedAt) } : {}) },
        'the revocation list cannot be read and none recent enough is left: tokens with an id are refused with 503',
      );
    }
    throw new StorageUnavailableError('the revocation list cannot be read', { cause: this.failure?.error });
  }

  /** Whether the token is revoked, when the list loaded is fresh (what `isRevoked` answers without loading); else undefined. */
  revokedNow(tokenId: string): boolean | undefined {
    return this.fresh() ? this.revoked!.has(tokenId) : undefined;
  }

  /** The list's state now (see {@link RevocationListHealth}). */
  health(): RevocationListHealth {
    const loadedAt = this.revoked ? { loadedAt: new Date(this.loadedAt) } : {};
    if (!this.failure) return { state: 'fresh', staleSeconds: 0, ...loadedAt };
    const staleSeconds = this.revoked ? Math.max(0, (this.clock() - this.loadedAt) / 1000) : 0;
    return { state: this.revoked && this.usable() ? 'stale' : 'unavailable', staleSeconds, ...loadedAt };
  }

  private fresh(): boolean {
    return this.revoked !== undefined && !this.failure && this.clock() - this.loadedAt < this.ttlMs;
  }

  private usable(): boolean {
    return this.clock() - this.loadedAt <= this.ttlMs + this.staleMs;
  }

  /** Loads the list (one load at a time, shared by the requests waiting); a failure is recorded, never thrown. */
  private async load(): Promise<void> {
    this.loading ??= this.source
      .revokedTokenIds()
      .then((ids) => {
        const revoked = new Set(ids);
        const now = this.clock();
        for (const [tokenId, expiresAt] of this.revokedHere) {
          if (expiresAt <= now) this.revokedHere.delete(tokenId);
          else revoked.add(tokenId);
        }
        this.revoked = revoked;
        this.loadedAt = this.clock();
        if (this.failure)
          this.options.logger?.info({ failingSince: new Date(this.failure.since) }, 'the revocation list can be read again');
        this.failure = undefined;
      })
      .finally(() => {
        this.loading = undefined;
      });
    try {
      await withTimeout(this.loading, this.loadTimeoutMs);
    } catch (error) {
      const now = this.clock();
      if (!this.failure) {
        this.options.logger?.warn(
          {
            err: error,
            ...(this.revoked ? { loadedAt: new Date(this.loadedAt), servedForSeconds: (this.ttlMs + this.staleMs) / 1000 } : {}),
          },
          this.revoked ? 'the revocation list cannot be read: the last one loaded answers meanwhile' : 'the revocation list cannot be read',
        );
      }
      // Try again soon, but not on every request: each attempt may wait for a connection that never comes.
      this.failure = {
        error,
        since: this.failure?.since ?? now,
        retryAt: now + Math.min(this.ttlMs, 1000),
        closed: this.failure?.closed ?? false,
      };
    }
  }
}
