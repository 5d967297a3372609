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
  return new GitHubApiError(error.status, error.request?.method ?? 'GET', route, requestId === undefined ? undefined : String(requestId), upstreamMessage(error));
}

/** Wraps an unexpected upstream failure as STORAGE_UNAVAILABLE, keeping the redacted upstream error as the cause. */
export function storageUnavailable(what: string, error: unknown): StorageUnavailableError {
  if (isOctokitFailure(error)) {
    const cause = toGitHubApiError(error);
    return new StorageUnavailableError(`GitHub storage failed to ${what}: ${cause.message}`, { cause });
  }
  return new StorageUnavailableError(`GitHub storage failed to ${what}`, { cause: error });
}
