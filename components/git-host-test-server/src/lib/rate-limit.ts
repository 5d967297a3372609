/** The current state of a rate-limit bucket. */
export interface RateLimitSnapshot {
  readonly limit: number;
  readonly remaining: number;
  /** When the window ends, in Unix seconds. */
  readonly reset: number;
  readonly used: number;
}

/** The header names a host shows a bucket under (e.g. GitHub's `x-ratelimit-used`, GitLab's `RateLimit-Observed`). */
export interface RateLimitHeaderNames {
  readonly limit: string;
  readonly remaining: string;
  readonly reset: string;
  readonly used?: string;
  /** The reset time as an HTTP date (GitLab's `RateLimit-ResetTime`). */
  readonly resetTime?: string;
}

/** A fixed-window bucket: `limit` requests per `windowSeconds`, the window starting at the first counted request. */
export class RateLimiter {
  private used = 0;
  private resetAt = 0;

  constructor(
    private readonly limit: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when no counted request is left in the current window. */
  exhausted(): boolean {
    this.roll();
    return this.used >= this.limit;
  }

  /** Counts one request. */
  consume(): void {
    this.roll();
    this.used = Math.min(this.limit, this.used + 1);
  }

  /** The bucket as the rate-limit headers show it. */
  snapshot(): RateLimitSnapshot {
    this.roll();
    return { limit: this.limit, remaining: this.limit - this.used, reset: this.resetAt, used: this.used };
  }

  private roll(): void {
    const seconds = Math.floor(this.now() / 1000);
    if (seconds >= this.resetAt) {
      this.used = 0;
      this.resetAt = seconds + this.windowSeconds;
    }
  }
}

/** The headers that show `snapshot` under a host's names. */
export function rateLimitHeaders(snapshot: RateLimitSnapshot, names: RateLimitHeaderNames): Record<string, string> {
  return {
    [names.limit]: String(snapshot.limit),
    [names.remaining]: String(snapshot.remaining),
    [names.reset]: String(snapshot.reset),
    ...(names.used ? { [names.used]: String(snapshot.used) } : {}),
    ...(names.resetTime ? { [names.resetTime]: new Date(snapshot.reset * 1000).toUTCString() } : {}),
  };
}
