import {
  createRequesterFn,
  defaultOptionsHandler,
  getMatchingRateLimiter,
  type FormattedResponse,
  type RateLimiters,
  type RequesterType,
  type ResourceOptions,
} from '@gitbeaker/requester-utils';
import { LRUCache } from 'lru-cache';
import { GitLabApiError, GitLabNetworkError, upstreamMessageOf } from './gitlab.errors';
import type { ClientLogger, RateLimitBudget } from '@metastore/storage';

/** Defined once in @metastore/storage, for every host's client. */
export type { ClientLogger, RateLimitBudget };

/** How the requester retries and caches. */
export interface RequesterSettings {
  readonly retryBaseMs: number;
  readonly maxRetries: number;
  readonly maxRateLimitWaitSeconds: number;
  /** Revalidated answers (ETag and body) kept for conditional requests. */
  readonly cacheEntries: number;
  /** How long one attempt may take (each retry gets its own: a wait for a rate limit does not eat into it). */
  readonly requestTimeoutMs: number;
  readonly budget: RateLimitBudget;
  readonly logger?: ClientLogger;
  /** The clock rate-limit resets are measured against. */
  readonly now?: () => Date;
}

/** The options gitbeaker's `defaultOptionsHandler` prepares for a request (headers with the credential, encoded query, JSON body). */
interface PreparedRequest {
  readonly method?: string;
  readonly prefixUrl?: string;
  readonly searchParams?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | FormData;
  readonly signal?: AbortSignal;
  readonly rateLimiters?: RateLimiters;
}

/** A caller's conditional GET: sent with `If-None-Match: etag` when given, answered with GitLab's own status (304 included). */
interface Conditional {
  readonly etag?: string;
}

/** A GET whose ETag the caller keeps (the sync's watermark): a 304 is returned as such, with GitLab's headers. */
export type ConditionalGet = (
  resourceOptions: ResourceOptions,
  endpoint: string,
  searchParams: Record<string, string | number | boolean>,
  etag?: string,
) => Promise<FormattedResponse>;

/** gitbeaker's `requesterFn`, and the conditional GET on the same retries, rate limits and budget. */
export type GitLabRequesterFn = ((resourceOptions: ResourceOptions) => RequesterType) & { readonly conditionalGet: ConditionalGet };

/** A cached answer to a GET, revalidated with If-None-Match. */
interface Revalidated {
  readonly etag: string;
  readonly size: number;
  readonly body: FormattedResponse['body'];
  readonly headers: Record<string, string>;
}

/** GitLab answers a 429 with Retry-After; without one, the window's reset; failing both, a minute. */
const RATE_LIMIT_FALLBACK_SECONDS = 60;
/** Revalidated answers are kept up to this many bytes in all (largest first out by recency, as any LRU). */
const MAX_REVALIDATED_BYTES = 32 * 1024 * 1024;

/**
 * Seconds until a 429 may succeed: `Retry-After` (seconds or an HTTP date), else `RateLimit-Reset` (Unix seconds), else
 * a minute (https://docs.gitlab.com/user/gitlab_com/#gitlabcom-specific-rate-limits).
 */
export function retryAfterSecondsOf(headers: Headers, now: Date): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(1, Math.ceil((date - now.getTime()) / 1000));
  }
  const reset = Number(headers.get('ratelimit-reset'));
  if (headers.get('ratelimit-reset') !== null && Number.isFinite(reset)) return Math.max(1, Math.ceil(reset - now.getTime() / 1000));
  return RATE_LIMIT_FALLBACK_SECONDS;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers.entries());
}

/** The body as gitbeaker's resources expect it: parsed JSON, or text (raw files are UTF-8 text here), null for 204. */
async function bodyOf(response: Response): Promise<FormattedResponse['body']> {
  if (response.status === 204) return null;
  const text = await response.text();
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (type === 'application/json') return text === '' ? {} : (JSON.parse(text) as FormattedResponse['body']);
  return text;
}

/**
 * A gitbeaker `requesterFn` replacing @gitbeaker/rest's request handler, whose retries ignore `Retry-After` and would
 * repeat a POST answered 502. This one:
 * - waits out 429s for `Retry-After` (or `RateLimit-Reset`) while the request's total wait stays within
 *   `maxRateLimitWaitSeconds`, then fails at once with `retryAfterSeconds` (a 429 was refused before any effect, so
 *   any method may be repeated);
 * - retries 5xx answers and lost connections with exponential backoff only for GET and PUT (idempotent): a POST or
 *   DELETE that failed may have taken effect, and only the adapter knows how to check (a project create looks the
 *   project up first);
 * - revalidates GET answers that carry an ETag with `If-None-Match` and serves a 304 from its copy;
 * - records `RateLimit-*` into `budget` for the metrics.
 * Errors are GitLabApiError / GitLabNetworkError: status, method, path, request id, GitLab's message; never a header.
 */
export function gitLabRequesterFn(settings: RequesterSettings): GitLabRequesterFn {
  const revalidated = new LRUCache<string, Revalidated>({
    max: settings.cacheEntries,
    maxSize: MAX_REVALIDATED_BYTES,
    sizeCalculation: (entry) => Math.max(1, entry.size),
  });
  const now = settings.now ?? (() => new Date());
  const { budget, logger } = settings;

  const record = (response: Response): void => {
    budget.requests += 1;
    if (response.status === 304) budget.notModified += 1;
    const number = (name: string) => {
      const value = response.headers.get(name);
      return value === null || !Number.isFinite(Number(value)) ? undefined : Number(value);
    };
    const limit = number('ratelimit-limit');
    const remaining = number('ratelimit-remaining');
    const reset = number('ratelimit-reset');
    if (limit !== undefined) budget.limit = limit;
    if (remaining !== undefined) budget.remaining = remaining;
    if (reset !== undefined) budget.reset = reset;
  };

  const handle = async (endpoint: string, options?: Record<string, unknown>, conditional?: Conditional): Promise<FormattedResponse> => {
    const request = (options ?? {}) as PreparedRequest;
    const method = (request.method ?? 'GET').toUpperCase();
    const prefix = request.prefixUrl ?? '';
    const url = new URL(endpoint, prefix.endsWith('/') ? prefix : `${prefix}/`);
    if (request.searchParams) url.search = request.searchParams;
    const route = url.pathname;
    const repeatable = method === 'GET' || method === 'PUT';
    // Raw files come through Workhorse with the ETag of an empty body (gitlab-org/gitlab#371991): never revalidated.
    // A caller's own conditional request (its ETag kept elsewhere) bypasses the copy and sees the 304 itself.
    const cacheKey = method === 'GET' && !conditional && !url.pathname.endsWith('/raw') ? url.href : undefined;
    const limiter = getMatchingRateLimiter(endpoint, request.rateLimiters, method);
    let waitedSeconds = 0;
    for (let attempt = 0; ; attempt += 1) {
      const cached = cacheKey === undefined ? undefined : revalidated.get(cacheKey);
      const etagSent = cached?.etag ?? conditional?.etag;
      const headers = { ...request.headers, ...(etagSent ? { 'if-none-match': etagSent } : {}) };
      await limiter();
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(settings.requestTimeoutMs);
        response = await fetch(url, {
          method,
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
        });
      } catch (error) {
        const failure = new GitLabNetworkError(method, route, { cause: error });
        if (!repeatable || request.signal?.aborted || attempt >= settings.maxRetries) throw failure;
        logger?.warn({ method, route, attempt: attempt + 1 }, 'GitLab did not answer; retrying');
        await sleep(settings.retryBaseMs * 2 ** attempt);
        continue;
      }
      record(response);
      if (response.status === 304 && cached) {
        await response.body?.cancel();
        return { body: cached.body, headers: cached.headers, status: 200 };
      }
      if (response.status === 304 && conditional) {
        await response.body?.cancel();
        return { body: null, headers: headersOf(response), status: 304 };
      }
      if (response.ok) {
        const body = await bodyOf(response);
        const responseHeaders = headersOf(response);
        const etag = response.headers.get('etag');
        const size = cacheKey !== undefined && etag ? JSON.stringify(body ?? null).length : 0;
        if (cacheKey !== undefined && etag && size <= MAX_REVALIDATED_BYTES / 4)
          revalidated.set(cacheKey, { etag, size, body, headers: responseHeaders });
        return { body, headers: responseHeaders, status: response.status };
      }
      const requestId = response.headers.get('x-request-id') ?? undefined;
      const upstream = upstreamMessageOf(await bodyOf(response).catch(() => undefined), response.statusText);
      if (response.status === 429) {
        const retryAfter = retryAfterSecondsOf(response.headers, now());
        const wait = attempt < settings.maxRetries && waitedSeconds + retryAfter <= settings.maxRateLimitWaitSeconds;
        logger?.warn({ method, route, status: 429, retryAfter, attempt: attempt + 1, wait }, 'GitLab rate limit hit');
        if (wait) {
          waitedSeconds += retryAfter;
          await sleep(retryAfter * settings.retryBaseMs);
          continue;
        }
        throw new GitLabApiError(429, method, route, requestId, upstream, retryAfter);
      }
      if (response.status >= 500 && repeatable && attempt < settings.maxRetries) {
        logger?.warn({ method, route, status: response.status, attempt: attempt + 1 }, 'GitLab server error; retrying');
        await sleep(settings.retryBaseMs * 2 ** attempt);
        continue;
      }
      throw new GitLabApiError(response.status, method, route, requestId, upstream);
    }
  };

  const requesterFn = createRequesterFn((_resourceOptions, requestOptions) => Promise.resolve(requestOptions), handle);
  const conditionalGet: ConditionalGet = async (resourceOptions, endpoint, searchParams, etag) => {
    // gitbeaker's options handler forwards no request headers, so the credential and query are prepared here as it would.
    const prepared = await defaultOptionsHandler(resourceOptions, { searchParams, method: 'GET' });
    return handle(endpoint, prepared as unknown as Record<string, unknown>, etag === undefined ? {} : { etag });
  };
  return Object.assign(requesterFn, { conditionalGet });
}
