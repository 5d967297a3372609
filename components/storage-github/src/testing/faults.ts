import type { CommonFaultKind, FaultRule as HostFaultRule, HostFaults } from '@metastore/git-host-test-server';

export type { InjectedFault, NotFoundWindow } from '@metastore/git-host-test-server';

/** What an injected fault does to a matching request: the shared kinds (server errors, latency, cuts) and GitHub's rate limits. */
export type FaultKind =
  | CommonFaultKind
  | { readonly type: 'primary-rate-limit'; readonly status: 403 | 429; readonly resetInSeconds: number }
  /** Without `retryAfterSeconds` the answer has no `retry-after` header (clients should then wait a minute). */
  | { readonly type: 'secondary-rate-limit'; readonly retryAfterSeconds?: number; readonly status?: 403 | 429 };

/**
 * Which requests a fault hits and how often. `route` is a route template, either the path
 * (`/repos/{owner}/{repo}/git/trees`) or method and path (`POST /repos/{owner}/{repo}/git/trees`),
 * or a RegExp tested against both the template and the concrete request path.
 */
export type FaultRule = HostFaultRule<FaultKind>;

/** Fault injection of the GitHub test server (`notFoundAfterCreate`: GitHub's replication lag after a repository is created). */
export type GitHubTestServerFaults = HostFaults<FaultKind>;
