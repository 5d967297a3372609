import { StorageUnavailableError } from '@metastore/errors';

/** What we keep of a failed GitHub request: enough to debug, never a credential. */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly route: string,
    readonly requestId: string | undefined,
    upstreamMessage: string,
  ) {
    super(`GitHub answered ${status} to ${method} ${route}${requestId ? ` (request ${requestId})` : ''}: ${upstreamMessage}`);
    this.name = 'GitHubApiError';
  }
}

/** The parts of an Octokit RequestError this adapter reads. */
export interface OctokitFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  request?: { method?: string; url?: string };
}

/** True for an Octokit RequestError (it carries an HTTP status). */
export function isOctokitFailure(error: unknown): error is OctokitFailure {
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number';
}

/** GitHub's own error message (body `message`), or the error's. */
export function upstreamMessage(error: OctokitFailure): string {
  const data = error.response?.data as { message?: unknown } | undefined;
  return typeof data?.message === 'string' ? data.message : error.message;
}

/** Reduces a RequestError to a GitHubApiError: status, method, path without query, request id. No headers, no token. */
export function toGitHubApiError(error: OctokitFailure): GitHubApiError {
  const url = error.request?.url ?? '';
  let route = url;
  try {
    route = new URL(url).pathname;
  } catch {
    route = url.split('?')[0] ?? '';
  }
  const requestId = error.response?.headers?.['x-github-request-id'];
  return new GitHubApiError(
    error.status,
    error.request?.method ?? 'GET',
    route,
    requestId === undefined ? undefined : String(requestId),
    upstreamMessage(error),
  );
}

/** GitHub asks for at least a minute after a secondary rate limit that names no retry-after. */
const SECONDARY_LIMIT_FALLBACK_SECONDS = 60;

/**
 * Seconds until a rate-limited request may succeed, or undefined when `error` is no rate limit: `retry-after`,
 * else the primary limit's `x-ratelimit-reset`, else a minute for a secondary limit
 * (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
 */
export function rateLimitRetryAfterSeconds(error: OctokitFailure, now: Date): number | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined;
  const headers = error.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.ceil(retryAfter);
  const reset = Number(headers['x-ratelimit-reset']);
  if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset))
    return Math.max(1, Math.ceil(reset - now.getTime() / 1000));
  return /secondary rate limit/i.test(upstreamMessage(error)) ? SECONDARY_LIMIT_FALLBACK_SECONDS : undefined;
}

/**
 * Wraps an unexpected upstream failure as STORAGE_UNAVAILABLE, keeping the redacted upstream error as the cause; a
 * rate limit not waited out carries `retryAfterSeconds`.
 */
export function storageUnavailable(what: string, error: unknown, now: Date = new Date()): StorageUnavailableError {
  if (isOctokitFailure(error)) {
    const cause = toGitHubApiError(error);
    const retryAfterSeconds = rateLimitRetryAfterSeconds(error, now);
    if (retryAfterSeconds === undefined)
      return new StorageUnavailableError(`GitHub storage failed to ${what}: ${cause.message}`, { cause });
    return new StorageUnavailableError(
      `GitHub storage failed to ${what}: rate limited for ${retryAfterSeconds} s more (${cause.message})`,
      { cause, retryAfterSeconds },
    );
  }
  return new StorageUnavailableError(`GitHub storage failed to ${what}`, { cause: error });
}
