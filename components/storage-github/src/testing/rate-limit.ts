import type { RateLimitSnapshot } from './routes/meta.routes';

/** GitHub's hourly window for the primary rate limit. */
const WINDOW_SECONDS = 3600;

/** The `core` rate-limit bucket: `limit` requests per hour, the window starting at the first counted request. */
export class RateLimiter {
  private used = 0;
  private resetAt = 0;

  constructor(
    private readonly limit: number,
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

  /** The bucket as the `x-ratelimit-*` headers and `/rate_limit` show it. */
  snapshot(): RateLimitSnapshot {
    this.roll();
    return { limit: this.limit, remaining: this.limit - this.used, reset: this.resetAt, used: this.used, resource: 'core' };
  }

  private roll(): void {
    const seconds = Math.floor(this.now() / 1000);
    if (seconds >= this.resetAt) {
      this.used = 0;
      this.resetAt = seconds + WINDOW_SECONDS;
    }
  }
}
