/**
 * What the client of a remote git host (GitHub, GitLab) keeps of its rate limit, updated from each answer's headers:
 * exported as metrics by the API.
 */
export interface RateLimitBudget {
  limit?: number;
  remaining?: number;
  /** Unix seconds. */
  reset?: number;
  /** Requests the host answered, and how many of them were 304s (revalidations with nothing changed). */
  requests: number;
  notModified: number;
}

/** Minimal logger a host's client reports rate limits, throttling and retries to (pino-compatible). */
export interface ClientLogger {
  warn(object: object, message: string): void;
}
