import { type HostResponse, type HostRoute, type HttpMethod, pageRequest, pageUrl } from '@metastore/git-host-test-server';
import type { GitLabStore, StoredProject } from '../gitlab-store';

/** The prefix every route of the GitLab REST API lives under. */
export const API_PREFIX = '/api/v4';

/** Everything a route handler needs about one request. */
export interface GitLabContext {
  readonly method: HttpMethod;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The JSON (or form) body, an object. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The address the client used (`http://127.0.0.1:1234`): web URLs in bodies are built on it. */
  readonly baseUrl: string;
  /** The request's path and query as received, for pagination links. */
  readonly requestUrl: string;
  readonly store: GitLabStore;
  /** Set for project routes (`/projects/:id/...`) once the project is found. */
  readonly project?: StoredProject;
  /** Whether a project's DELETE only marks it for deletion (GitLab's delayed deletion). */
  readonly delayedDeletion: boolean;
  /** Whether the request carried a token (`PRIVATE-TOKEN`, `Authorization: Bearer`, `JOB-TOKEN`). */
  readonly authenticated: boolean;
}

/** One operation of the GitLab REST API. */
export interface GitLabRoute extends HostRoute {
  /** The documented path below `/api/v4`, e.g. `/projects/:id/repository/commits` (faults and recorded requests name it). */
  readonly template: string;
  readonly handle: (context: GitLabContext) => Promise<HostResponse>;
}

/**
 * An error answer shaped as GitLab's: `{"message": ...}` from the application (`render_api_error!`), or `{"error": ...}`
 * from parameter validation (Grape) and unknown routes.
 */
export class GitLabErrorResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: { readonly message: unknown } | { readonly error: string },
  ) {
    super(
      typeof (body as { message?: unknown }).message === 'string' ? String((body as { message: string }).message) : JSON.stringify(body),
    );
    this.name = 'GitLabErrorResponse';
  }
}

/** `{"message": "<status> <what> Not Found"}`, GitLab's 404 for a missing project, file, commit, branch or tag. */
export const notFound = (what: string) => new GitLabErrorResponse(404, { message: `404 ${what} Not Found` });

/** A 400 with an application message (`{"message": ...}`). */
export const badRequest = (message: unknown) => new GitLabErrorResponse(400, { message });

/** A 400 from parameter validation (`{"error": "branch is missing"}`). */
export const invalidParameter = (error: string) => new GitLabErrorResponse(400, { error });

/** The project of a project route (the server resolves it before the handler runs). */
export function projectOf(context: GitLabContext): StoredProject {
  if (!context.project) throw new Error('route is not project-scoped');
  return context.project;
}

/** A 200 JSON answer. */
export const ok = (body: unknown, headers?: Record<string, string>): HostResponse => ({
  status: 200,
  body,
  ...(headers ? { headers } : {}),
});

/** A 201 JSON answer. */
export const created = (body: unknown): HostResponse => ({ status: 201, body });

/** A 204 answer. */
export const noContent = (): HostResponse => ({ status: 204 });

/** A required string parameter of the body or query; Grape's `{"error": "<name> is missing"}` without it. */
export function required(value: unknown, name: string): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '') throw invalidParameter(`${name} is missing`);
  return value;
}

/** A boolean parameter as Grape reads it (`true`/`false`, `1`/`0`, JSON booleans). */
export function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  return undefined;
}

/**
 * One page of `items` with GitLab's offset-pagination headers (https://docs.gitlab.com/api/rest/#pagination):
 * `x-total`, `x-total-pages`, `x-page`, `x-per-page`, `x-next-page` and `x-prev-page` (empty at the ends), and
 * `Link` with rel `prev`, `next`, `first`, `last` in GitLab's order. Default 20 per page, at most 100.
 */
export function paginate<T>(context: GitLabContext, items: readonly T[]): { items: T[]; headers: Record<string, string> } {
  const { perPage, page } = pageRequest(context.query, { defaultPerPage: 20, maxPerPage: 100 });
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const pageItems = items.slice((page - 1) * perPage, page * perPage);
  const link = (number: number, rel: string) => `<${pageUrl(context.baseUrl, context.requestUrl, perPage, number)}>; rel="${rel}"`;
  const links: string[] = [];
  if (page > 1) links.push(link(Math.min(page - 1, totalPages), 'prev'));
  if (page < totalPages) links.push(link(page + 1, 'next'));
  links.push(link(1, 'first'), link(totalPages, 'last'));
  return {
    items: pageItems,
    headers: {
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(Math.min(page - 1, totalPages)) : '',
      link: links.join(', '),
    },
  };
}

/** A paginated 200 answer. */
export function okPage<T>(context: GitLabContext, items: readonly T[], present: (item: T) => unknown): HostResponse {
  const page = paginate(context, items);
  return ok(page.items.map(present), page.headers);
}

/** Sorts by a key in GitLab's `sort` direction (`asc` or `desc`, default `desc` unless given). */
export function sortBy<T>(items: readonly T[], key: (item: T) => string | number, sort: string | undefined, fallback: 'asc' | 'desc'): T[] {
  const direction = (sort === 'asc' || sort === 'desc' ? sort : fallback) === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const left = key(a);
    const right = key(b);
    return left < right ? -direction : left > right ? direction : 0;
  });
}
