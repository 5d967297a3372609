import { type HostResponse, type HostRoute, pageRequest as hostPageRequest, pageUrl } from '@metastore/git-host-test-server';
import type { GitHubApps, InstallationRecord, RegisteredApp } from '../github-apps';
import type { AccountRecord, RepositoryStore, StoredRepository } from '../repository-store';
import type { ServerUrls } from '../representations';

/** HTTP methods the server routes (HEAD requests are answered by the GET routes). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The media type a client asked for with `Accept` (`application/vnd.github.<param>`). */
export type RequestedMedia = 'json' | 'raw' | 'sha' | 'object';

/** An answer a route produces; the server adds headers, ETags, rate limits and validation. */
export type ApiResponse = HostResponse;

/** Everything a route handler needs about one request. */
export interface RouteContext {
  readonly method: HttpMethod;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  readonly media: RequestedMedia;
  readonly urls: ServerUrls;
  /** The request's path and query as received, for pagination links. */
  readonly requestUrl: string;
  readonly store: RepositoryStore;
  /** The account the request acts as: the server's user, or an App's bot for an installation token. */
  readonly authenticatedUser: AccountRecord;
  readonly apps: GitHubApps;
  /** The App whose JWT authenticated an App route (`authentication: 'app'`). */
  readonly app?: RegisteredApp;
  /** The installation whose access token authenticated the request. */
  readonly installation?: InstallationRecord;
  /** Set for repo-scoped routes (`/repos/{owner}/{repo}/...`) once the repository is found. */
  readonly repository?: StoredRepository;
  /** Called when a route created a repository (for the not-found-after-create fault). */
  readonly repositoryCreated: (stored: StoredRepository) => void;
}

/** One operation of the API (`template` is the OpenAPI path template, e.g. `/repos/{owner}/{repo}/git/trees`). */
export interface RouteDefinition extends HostRoute {
  readonly method: HttpMethod;
  /** Git Data and commits endpoints answer 409 on an empty repository. */
  readonly conflictsWhenEmpty?: boolean;
  /** False for the few endpoints GitHub does not count against the rate limit. */
  readonly rateLimited?: boolean;
  /** True for non-API URLs (raw downloads) that GitHub's OpenAPI description does not cover. */
  readonly undocumented?: boolean;
  /** `app` for endpoints that need a GitHub App's JWT; the others take any token (installation tokens must be valid). */
  readonly authentication?: 'app';
  readonly handle: (context: RouteContext) => Promise<ApiResponse>;
}

/** An error answer shaped like GitHub's (`message`, `documentation_url`, `status`, maybe `errors`). */
export class GitHubErrorResponse extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: readonly unknown[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'GitHubErrorResponse';
  }
}

/** GitHub's 404 for anything the caller may not see or that does not exist. */
export const notFound = (message = 'Not Found') => new GitHubErrorResponse(404, message);

/** A 422 with GitHub's `Validation Failed`-style body. */
export const unprocessable = (message: string, errors?: readonly unknown[]) => new GitHubErrorResponse(422, message, errors);

/** The repository of a repo-scoped route (the server resolves it before the handler runs). */
export function repositoryOf(context: RouteContext): StoredRepository {
  if (!context.repository) throw new Error('route is not repo-scoped');
  return context.repository;
}

/** A 200 JSON answer. */
export const ok = (body: unknown, headers?: Record<string, string>): ApiResponse => ({
  status: 200,
  body,
  ...(headers ? { headers } : {}),
});

/** A 201 JSON answer. */
export const created = (body: unknown): ApiResponse => ({ status: 201, body });

/** A 204 answer. */
export const noContent = (): ApiResponse => ({ status: 204 });

/** Reads the requested media type from an `Accept` header (first GitHub media type wins). */
export function requestedMedia(accept: string | undefined): RequestedMedia {
  for (const part of (accept ?? '').split(',')) {
    const match = /^application\/vnd\.github(?:\.v3)?(?:\.([a-z-]+))?(?:\+json)?$/i.exec(part.split(';')[0]!.trim());
    const parameter = match?.[1]?.toLowerCase();
    if (parameter === 'raw' || parameter === 'sha' || parameter === 'object') return parameter;
    if (match) return 'json';
  }
  return 'json';
}

/** Page size and number from `per_page` (default 30, at most 100) and `page` (default 1). */
export function pageRequest(query: RouteContext['query']): { perPage: number; page: number } {
  return hostPageRequest(query, { defaultPerPage: 30, maxPerPage: 100 });
}

/**
 * One page of `items` and GitHub's `Link` header (rel prev, next, last, first, in GitHub's
 * order), with absolute URLs on the server's own host that keep the request's other parameters.
 */
export function paginate<T>(context: RouteContext, items: readonly T[]): { items: T[]; headers: Record<string, string> } {
  const { perPage, page } = pageRequest(context.query);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const pageItems = items.slice((page - 1) * perPage, page * perPage);
  const link = (number: number, rel: string) => `<${pageUrl(context.urls.api, context.requestUrl, perPage, number)}>; rel="${rel}"`;
  const links: string[] = [];
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return { items: pageItems, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

/** Reads a JSON object body's field when it is a string. */
export function bodyOf<T>(context: RouteContext): T {
  return (context.body ?? {}) as T;
}
