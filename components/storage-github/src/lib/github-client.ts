import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import type { GitHubStorageConfig } from './github.config';
import type { ClientLogger, RateLimitBudget } from '@metastore/storage';

/** The Octokit class with GitHub's recommended throttling and retries. */
const ThrottledOctokit = Octokit.plugin(throttling, retry);

/** An Octokit client with throttling/retry plugins. */
export type GitHubClient = InstanceType<typeof ThrottledOctokit>;

/** Defined once in @metastore/storage, for every host's client. */
export type { ClientLogger, RateLimitBudget };

/** Endpoints a GitHub App calls as itself, with its JWT (never with an installation token). */
const APP_ENDPOINT = /^\/app(?:\/|$)|\/installation$/;

/** How a client authenticates: with the configured token, or as the configured App (its JWT, or one installation's tokens). */
function authenticationOptions(
  config: GitHubStorageConfig,
  installationId: number | undefined,
): { auth: unknown; authStrategy?: typeof createAppAuth } {
  if (config.auth.type === 'token') return { auth: config.auth.token };
  // auth-app signs the JWT, mints installation tokens and caches them until shortly before GitHub's one-hour expiry.
  const app = { appId: config.auth.appId, privateKey: config.auth.privateKey };
  return { authStrategy: createAppAuth, auth: installationId === undefined ? app : { ...app, installationId } };
}

/**
 * Builds a client: honours retry-after and x-ratelimit-reset up to `maxRateLimitWaitSeconds` in total per
 * request (a later reset fails the request at once), retries 5xx with backoff, records the budget. With a GitHub App, `installationId`
 * picks the installation it acts as; without one it is
 * the App itself, good only for the App endpoints (installation lookups).
 */
export function createGitHubClient(
  config: GitHubStorageConfig,
  budget: RateLimitBudget,
  logger: ClientLogger = { warn: () => undefined },
  installationId?: number,
): GitHubClient {
  // Seconds each request has waited for rate limits so far, by its options object (the throttling plugin retries with the same one).
  const waited = new WeakMap<object, number>();
  /**
   * Waits out a limit only while the request's total wait stays within the cap: a distant reset fails it at once (the adapter says when to
   * retry).
   */
  const mayWait = (kind: string, retryAfter: number, options: { method: string; url: string }, retryCount: number): boolean => {
    const total = (waited.get(options) ?? 0) + retryAfter;
    const wait = retryCount < config.maxRetries && total <= config.maxRateLimitWaitSeconds;
    logger.warn({ retryAfter, method: options.method, url: options.url, retryCount, wait }, `GitHub ${kind} rate limit hit`);
    if (wait) waited.set(options, total);
    return wait;
  };
  const octokit = new ThrottledOctokit({
    ...authenticationOptions(config, installationId),
    baseUrl: config.apiUrl,
    userAgent: 'metastore-storage-github',
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    // Rate limits (403 and 429) are the throttling plugin's alone: the retry plugin would otherwise retry a 429 it declined to wait for.
    retry: { retries: config.maxRetries, retryAfterBaseValue: config.retryBaseMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      retryAfterBaseValue: config.retryBaseMs,
      // One write at a time, spaced as GitHub recommends; a private group per client.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: config.writeIntervalMs }),
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) =>
        mayWait('primary', retryAfter, options, retryCount),
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) =>
        mayWait('secondary', retryAfter, options, retryCount),
    },
  });
  const record = (headers: Record<string, unknown> | undefined, status: number) => {
    budget.requests += 1;
    if (status === 304) budget.notModified += 1;
    const number = (name: string) => (headers?.[name] === undefined ? undefined : Number(headers[name]));
    const limit = number('x-ratelimit-limit');
    const remaining = number('x-ratelimit-remaining');
    const reset = number('x-ratelimit-reset');
    if (limit !== undefined) budget.limit = limit;
    if (remaining !== undefined) budget.remaining = remaining;
    if (reset !== undefined) budget.reset = reset;
  };
  if (installationId !== undefined) {
    octokit.hook.wrap('request', async (request, options) => {
      try {
        return await request(options);
      } catch (error) {
        const url = String(options.url ?? '').split('?')[0] ?? '';
        if ((error as { status?: number }).status !== 401 || APP_ENDPOINT.test(url)) throw error;
        // The token expired or was revoked earlier than auth-app's cache assumes: mint a new one and try once more.
        await octokit.auth({ type: 'installation', refresh: true });
        return request(options);
      }
    });
  }
  octokit.hook.after('request', (response) => record(response.headers as Record<string, unknown>, response.status));
  octokit.hook.error('request', (error) => {
    const failure = error as { status?: number; response?: { headers?: Record<string, unknown> } };
    if (failure.response) record(failure.response.headers, failure.status ?? 0);
    throw error;
  });
  return octokit;
}
