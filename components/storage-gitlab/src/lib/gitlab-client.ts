import { Commits, Groups, Namespaces, Projects, RepositoryFiles, Tags, Users } from '@gitbeaker/rest';
import type { GitLabStorageConfig } from './gitlab.config';
import type { FormattedResponse } from '@gitbeaker/requester-utils';
import { gitLabRequesterFn, type ClientLogger, type RateLimitBudget } from './gitlab-requester';

/** The gitbeaker resources the adapter calls, sharing one requester (rate limits, retries, revalidation, budget). */
export interface GitLabClient {
  readonly projects: InstanceType<typeof Projects<false>>;
  readonly commits: InstanceType<typeof Commits<false>>;
  readonly files: InstanceType<typeof RepositoryFiles<false>>;
  readonly tags: InstanceType<typeof Tags<false>>;
  readonly groups: InstanceType<typeof Groups<false>>;
  readonly namespaces: InstanceType<typeof Namespaces<false>>;
  readonly users: InstanceType<typeof Users<false>>;
  /** A GET whose ETag the caller keeps (`If-None-Match: etag`), answered as GitLab did: a 304 is returned as one. */
  conditionalGet(endpoint: string, searchParams: Record<string, string | number | boolean>, etag?: string): Promise<FormattedResponse>;
}

/**
 * Builds the client: `PRIVATE-TOKEN` for personal, project and group access tokens, `Authorization: Bearer` for OAuth
 * tokens (gitbeaker's `token` and `oauthToken`). gitbeaker's own client-side limits (3,000 requests a minute) stay on.
 */
export function createGitLabClient(config: GitLabStorageConfig, budget: RateLimitBudget, logger?: ClientLogger): GitLabClient {
  const requesterFn = gitLabRequesterFn({
    retryBaseMs: config.retryBaseMs,
    maxRetries: config.maxRetries,
    maxRateLimitWaitSeconds: config.maxRateLimitWaitSeconds,
    cacheEntries: config.cacheEntries,
    requestTimeoutMs: config.requestTimeoutMs,
    budget,
    ...(logger ? { logger } : {}),
  });
  const credential = config.auth.type === 'oauth' ? { oauthToken: config.auth.token } : { token: config.auth.token };
  // No gitbeaker timeout: its one signal would span every retry and rate-limit wait; the requester times each attempt.
  const options = { host: config.url, requesterFn, queryTimeout: null, ...credential };
  const groups = new Groups(options);
  return {
    conditionalGet: (endpoint, searchParams, etag) => requesterFn.conditionalGet(groups, endpoint, searchParams, etag),
    projects: new Projects(options),
    commits: new Commits(options),
    files: new RepositoryFiles(options),
    tags: new Tags(options),
    groups,
    namespaces: new Namespaces(options),
    users: new Users(options),
  };
}
