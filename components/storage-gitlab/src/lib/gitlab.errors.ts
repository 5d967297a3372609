import { StorageUnavailableError } from '@metastore/errors';

/**
 * A failed GitLab request, reduced to what helps debugging: status, method, path (no query), GitLab's request id
 * (`X-Request-Id`, the correlation id GitLab's logs are searched by) and GitLab's message. Never a header or a token.
 */
export class GitLabApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly route: string,
    readonly requestId: string | undefined,
    readonly upstreamMessage: string,
    /** For a rate limit not waited out: seconds until GitLab accepts requests again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`GitLab answered ${status} to ${method} ${route}${requestId ? ` (request ${requestId})` : ''}: ${upstreamMessage}`);
    this.name = 'GitLabApiError';
  }
}

/** No answer at all (connection refused or reset, timeout): status 0. */
export class GitLabNetworkError extends Error {
  constructor(
    readonly method: string,
    readonly route: string,
    options: { cause: unknown },
  ) {
    super(`GitLab did not answer ${method} ${route}: ${(options.cause as Error | undefined)?.message ?? String(options.cause)}`, options);
    this.name = 'GitLabNetworkError';
  }
}

/** The status of a GitLab answer, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof GitLabApiError ? error.status : undefined;
}

/** GitLab's message of a failed request ('' for anything else). */
export function messageOf(error: unknown): string {
  return error instanceof GitLabApiError ? error.upstreamMessage : '';
}

/** True for failures a repeated request may not meet: a 5xx, or no answer at all. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return error instanceof GitLabNetworkError || (status !== undefined && status >= 500);
}

/**
 * GitLab's error bodies carry `message` (a string, or an object of field → messages for validation errors) or `error`
 * (https://docs.gitlab.com/api/rest/troubleshooting/#status-codes); reduced to one line.
 */
export function upstreamMessageOf(body: unknown, fallback: string): string {
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 500);
  if (typeof body !== 'object' || body === null) return fallback;
  const { message, error } = body as { message?: unknown; error?: unknown };
  const value = message ?? error;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>)
      .map(([field, messages]) => `${field} ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`)
      .join('; ');
  }
  return fallback;
}

/**
 * Wraps an unexpected upstream failure as STORAGE_UNAVAILABLE, the GitLab error kept as the cause; a rate limit not
 * waited out carries `retryAfterSeconds`, which the API answers as `Retry-After`.
 */
export function storageUnavailable(what: string, error: unknown): StorageUnavailableError {
  if (error instanceof GitLabApiError) {
    if (error.retryAfterSeconds === undefined)
      return new StorageUnavailableError(`GitLab storage failed to ${what}: ${error.message}`, { cause: error });
    return new StorageUnavailableError(
      `GitLab storage failed to ${what}: rate limited for ${error.retryAfterSeconds} s more (${error.message})`,
      { cause: error, retryAfterSeconds: error.retryAfterSeconds },
    );
  }
  if (error instanceof GitLabNetworkError)
    return new StorageUnavailableError(`GitLab storage failed to ${what}: ${error.message}`, { cause: error });
  return new StorageUnavailableError(`GitLab storage failed to ${what}`, { cause: error });
}
