import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import {
  type AnsweredFault,
  type CommonFaultKind,
  FaultInjector,
  type FaultRule as HostFaultRule,
  type HostFaults,
  type HostResponse,
  type HostServer,
  type HttpMethod,
  RateLimiter,
  type RecordedRequest,
  SchemaValidator,
  type SchemaViolation,
  openDataDirectory,
  queryParams,
  rateLimitHeaders,
  routeParams,
  startHostServer,
  weakEtag,
} from '@metastore/git-host-test-server';
import { errorSchema, SUCCESS_SCHEMAS } from './gitlab-schemas';
import { GitLabStore } from './gitlab-store';
import { commitRoutes } from './routes/commits.routes';
import { fileRoutes } from './routes/files.routes';
import { groupRoutes } from './routes/groups.routes';
import { projectRoutes } from './routes/projects.routes';
import { repositoryRoutes } from './routes/repository.routes';
import { API_PREFIX, type GitLabContext, type GitLabRoute, GitLabErrorResponse, notFound } from './routes/route';
import { tagRoutes } from './routes/tags.routes';

/** What an injected fault does: the shared kinds (5xx, latency, cuts) and GitLab's 429 (`Retry-After`, `RateLimit-*`). */
export type GitLabFaultKind =
  | CommonFaultKind
  /** A 429 "Retry later"; without `retryAfterSeconds` no `Retry-After` header (then `RateLimit-Reset` tells when). */
  | { readonly type: 'rate-limit'; readonly retryAfterSeconds?: number; readonly resetInSeconds?: number };

/** Which requests a fault hits: `route` is a template below `/api/v4` (`POST /projects/:id/repository/commits`) or a RegExp. */
export type GitLabFaultRule = HostFaultRule<GitLabFaultKind>;

/** Fault injection of the GitLab test server (`notFoundAfterCreate` hides new projects for a while). */
export type GitLabTestServerFaults = HostFaults<GitLabFaultKind>;

/** Options of `startGitLabTestServer`. */
export interface GitLabTestServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Where repositories live; default a temporary directory removed on close. An existing directory is reused. */
  readonly dataDir?: string;
  /** Username of the user every token acts as (default `metastore-test`). */
  readonly username?: string;
  /** Check every JSON answer against the schemas written from GitLab's documentation, mismatches in `violations` (default true). */
  readonly validateResponses?: boolean;
  /** Latency added to every request, in milliseconds (default 0). */
  readonly latencyMs?: number;
  /** Requests per minute before 429s (default 2000, GitLab.com's authenticated API limit). */
  readonly rateLimit?: number;
  /**
   * `immediate` (the default): `DELETE /projects/:id` deletes. `delayed`: it marks the project for deletion and renames it
   * `<path>-deletion_scheduled-<id>`, as GitLab 18 and GitLab.com do; `permanently_remove=true&full_path=` then deletes it.
   */
  readonly projectDeletion?: 'immediate' | 'delayed';
  /**
   * How old a project's `last_activity_at` must be before a push or tag moves it: GitLab's is an hour
   * (`Event::RESET_PROJECT_ACTIVITY_INTERVAL`); the default, 0, moves it on every push.
   */
  readonly activityIntervalMs?: number;
}

/** A running local GitLab REST API (v4) server backed by bare git repositories. */
export interface GitLabTestServer {
  /** The instance URL for clients (gitbeaker's `host`), e.g. `http://127.0.0.1:54321`; the API is below `/api/v4`. */
  readonly url: string;
  /** Every request answered since start or the last `resetRequests()` (`path` is `METHOD /template`; 304s have status 304). */
  readonly requests: readonly RecordedRequest[];
  /** Fault injection. */
  readonly faults: GitLabTestServerFaults;
  /** Answers that did not match the schemas written from GitLab's documentation. */
  readonly violations: readonly SchemaViolation[];
  /** Forgets the recorded requests. */
  resetRequests(): void;
  /** Sets the latency added to every request, in milliseconds. */
  setLatency(ms: number): void;
  /** The bare git repository of a project (`acme/sub/ds`) on disk. */
  repositoryPath(projectFullPath: string): string;
  /** Stops listening, drops open connections and removes a temporary data directory. */
  close(): Promise<void>;
}

/** Every route of the GitLab test server, in registration order (HEAD before GET of the same path). */
export const GITLAB_ROUTES: readonly GitLabRoute[] = [
  ...fileRoutes,
  ...commitRoutes,
  ...repositoryRoutes,
  ...tagRoutes,
  ...projectRoutes,
  ...groupRoutes,
];

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const STATUS_TEXT: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** A request id as GitLab's correlation ids look (a ULID: 26 Crockford base-32 characters). */
function requestId(): string {
  return [...randomBytes(26)].map((byte) => CROCKFORD[byte % 32]).join('');
}

function tokenOf(request: Request): string | undefined {
  const privateToken = request.headers['private-token'] ?? request.headers['job-token'];
  if (typeof privateToken === 'string' && privateToken !== '') return privateToken;
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function parseBody(request: Request): Record<string, unknown> {
  const raw = request.body as unknown;
  if (!Buffer.isBuffer(raw) || raw.byteLength === 0) return {};
  const text = raw.toString('utf8');
  if ((request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new GitLabErrorResponse(400, { error: 'The provided content-type is not supported or the body is not valid JSON' });
  }
}

/** Starts a GitLab REST API v4 test server on real HTTP (the shared host plumbing), backed by bare git repositories on disk. */
export async function startGitLabTestServer(options: GitLabTestServerOptions = {}): Promise<GitLabTestServer> {
  const dataDir = await openDataDirectory(options.dataDir, 'gitlab-test-server-');
  const store = await GitLabStore.open(dataDir.path, options.username ?? 'metastore-test', options.activityIntervalMs);
  const faults = new FaultInjector<GitLabFaultKind>();
  // GitLab's throttles count per minute (https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/).
  const limiter = new RateLimiter(options.rateLimit ?? 2000, 60);
  const validator = new SchemaValidator();
  const delayedDeletion = options.projectDeletion === 'delayed';

  async function run(route: GitLabRoute, method: HttpMethod, request: Request, baseUrl: string): Promise<HostResponse> {
    const authenticated = tokenOf(request) !== undefined;
    if (!authenticated && WRITE_METHODS.has(method)) throw new GitLabErrorResponse(401, { message: '401 Unauthorized' });
    const params = routeParams(request);
    let project: GitLabContext['project'];
    if (route.template.startsWith('/projects/:id') && params.id !== undefined) {
      project = store.findProject(params.id);
      if (!project || faults.hidesRepository(project.record.id, Date.now())) throw notFound('Project');
    }
    const context: GitLabContext = {
      method,
      params,
      query: queryParams(request),
      body: parseBody(request),
      baseUrl,
      requestUrl: request.originalUrl,
      store,
      delayedDeletion,
      authenticated,
      ...(project ? { project } : {}),
    };
    const answer = await route.handle(context);
    if (method === 'POST' && route.template === '/projects' && answer.status === 201) {
      faults.repositoryCreated((answer.body as { id: number }).id, Date.now());
    }
    return answer;
  }

  const tooManyRequests = (retryAfterSeconds: number | undefined, resetInSeconds: number): HostResponse => ({
    status: 429,
    raw: { bytes: Buffer.from('Retry later\n'), contentType: 'text/plain' },
    ...(retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}),
    rate: { remaining: 0, used: limiter.snapshot().limit, reset: Math.floor(Date.now() / 1000) + resetInSeconds },
  });

  function faultAnswer(fault: AnsweredFault<GitLabFaultKind>): HostResponse {
    if (fault.type === 'rate-limit') return tooManyRequests(fault.retryAfterSeconds, fault.resetInSeconds ?? fault.retryAfterSeconds ?? 60);
    return { status: fault.status, body: { message: `${fault.status} ${STATUS_TEXT[fault.status]}` } };
  }

  function validate(route: GitLabRoute, method: HttpMethod, status: number, answer: HostResponse): string[] {
    const key = `${method} ${route.template}`;
    if (status >= 400) return validator.check('error', errorSchema, answer.body);
    const schema = SUCCESS_SCHEMAS[key]?.[status];
    if (!schema) return [`status ${status} of ${key} is not documented`];
    return validator.check(`${key} ${status}`, schema, answer.body);
  }

  const server: HostServer<object> = await startHostServer<GitLabRoute, GitLabFaultKind, object>({
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    routes: GITLAB_ROUTES,
    unmatched: (request) => ({
      method: request.method as HttpMethod,
      template: request.path.startsWith(API_PREFIX) ? request.path.slice(API_PREFIX.length) : request.path,
      expressPath: request.path,
      // Grape's answer to an unknown route.
      handle: async () => ({ status: 404, body: { error: '404 Not Found' } }),
    }),
    faults,
    limiter,
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    requestId,
    async answer(route, method, request, { baseUrl }) {
      try {
        return await run(route, method, request, baseUrl);
      } catch (error) {
        if (error instanceof GitLabErrorResponse) return { status: error.status, body: error.body };
        throw error;
      }
    },
    faultAnswer,
    exhaustedAnswer: () => {
      const resetIn = Math.max(1, limiter.snapshot().reset - Math.floor(Date.now() / 1000));
      return tooManyRequests(resetIn, resetIn);
    },
    // Rack::Attack counts every request, conditional ones included.
    counts: () => true,
    // Rack::ETag: a weak ETag of each JSON GET answer, revalidated with If-None-Match. Raw files get none: Rails hands
    // Workhorse an empty body to send the blob from (send-data), and Rack::ETag tags no empty body.
    etag: (method, status, payload, _contentType, answer) =>
      (method === 'GET' || method === 'HEAD') && status === 200 && !answer.raw ? weakEtag(payload, 'md5') : undefined,
    headers: ({ method, status, requestId: id, rate }) => ({
      'x-request-id': id,
      'x-gitlab-meta': JSON.stringify({ correlation_id: id, version: '1' }),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      vary: 'Origin, Accept-Encoding',
      ...(method === 'GET' && status < 300 ? { 'cache-control': 'max-age=0, private, must-revalidate' } : { 'cache-control': 'no-cache' }),
      'ratelimit-name': 'throttle_authenticated_api',
      ...rateLimitHeaders(rate, {
        limit: 'ratelimit-limit',
        remaining: 'ratelimit-remaining',
        reset: 'ratelimit-reset',
        used: 'ratelimit-observed',
        resetTime: 'ratelimit-resettime',
      }),
    }),
    ...((options.validateResponses ?? true) ? { validate } : {}),
    bodyError: (status) => ({ status, body: status === 413 ? { message: '413 Request Entity Too Large' } : { error: 'invalid body' } }),
    onClose: () => dataDir.dispose(),
  });

  return {
    get url() {
      return server.url;
    },
    get requests() {
      return server.requests;
    },
    faults,
    get violations() {
      return server.violations;
    },
    resetRequests: () => server.resetRequests(),
    setLatency: (ms: number) => server.setLatency(ms),
    repositoryPath: (fullPath) => store.repositoryPath(fullPath),
    close: () => server.close(),
  };
}
