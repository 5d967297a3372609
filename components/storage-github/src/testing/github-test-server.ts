import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import {
  type AnsweredFault,
  FaultInjector,
  type HostServer,
  RateLimiter,
  openDataDirectory,
  queryParams,
  rateLimitHeaders,
  routeParams,
  startHostServer,
  strongEtag,
  weakEtag,
} from '@metastore/git-host-test-server';
import type { FaultKind, GitHubTestServerFaults } from './faults';
import {
  type Authentication,
  badJwt,
  GitHubApps,
  type GitHubTestApp,
  type IssuedInstallationToken,
  type RecordedCredential,
  permits,
  requiredPermission,
} from './github-apps';
import { GitHubOpenApi, type SchemaViolation, invalidRequestMessage } from './openapi-validation';
import { RepositoryStore } from './repository-store';
import type { ServerUrls } from './representations';
import {
  type ApiResponse,
  type HttpMethod,
  type RouteContext,
  type RouteDefinition,
  GitHubErrorResponse,
  notFound,
  requestedMedia,
} from './routes/route';
import { allRoutes } from './routes/route-table';

/** Options of `startGitHubTestServer`. */
export interface GitHubTestServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Where repositories live; default a temporary directory removed on close. An existing directory is reused. */
  readonly dataDir?: string;
  /** Login of the user every request acts as, whatever the token (default `metastore-test`). */
  readonly authenticatedUser?: string;
  /** Check every JSON response against GitHub's OpenAPI description, recording mismatches in `violations` (default true). */
  readonly validateResponses?: boolean;
  /** Latency added to every request, in milliseconds (default 0). */
  readonly latencyMs?: number;
  /** Requests per hour of the core rate-limit bucket (default 5000, GitHub's limit for a user token). */
  readonly rateLimit?: number;
  /** GitHub Apps whose JWTs the App endpoints accept; each is installed on an account at first lookup (or only on `installedOn`). */
  readonly apps?: readonly GitHubTestApp[];
  /** Lifetime of installation access tokens in seconds (default 3600, GitHub's); shorten it to test refreshes. */
  readonly installationTokenLifetimeSeconds?: number;
}

/** One request the server answered. */
export interface RecordedRequest {
  readonly method: string;
  /** The route template with the method, e.g. `POST /repos/{owner}/{repo}/git/trees`. */
  readonly path: string;
  readonly status: number;
  /** Whether GitHub would count it against the rate limit (304s and `/rate_limit` are free). */
  readonly rateLimited: boolean;
  /** The credentials it carried: installation tokens (which only this server mints) verbatim, other tokens never. */
  readonly credential: RecordedCredential;
}

/** A running local GitHub REST API server backed by bare git repositories. */
export interface GitHubTestServer {
  /** Base URL for clients (octokit's `baseUrl`), e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Every request answered since start or the last `resetRequests()`. */
  readonly requests: readonly RecordedRequest[];
  /** Fault injection. */
  readonly faults: GitHubTestServerFaults;
  /** Responses that did not match GitHub's OpenAPI description. */
  readonly violations: readonly SchemaViolation[];
  /** Every installation access token issued, oldest first. */
  readonly installationTokens: readonly IssuedInstallationToken[];
  /** Forgets the recorded requests. */
  resetRequests(): void;
  /** Sets the latency added to every request, in milliseconds. */
  setLatency(ms: number): void;
  /** The bare git repository directory of `owner/repo` on disk. */
  repositoryPath(owner: string, repo: string): string;
  /** Stops listening, drops open connections and removes a temporary data directory. */
  close(): Promise<void>;
}

const GENERIC_DOCUMENTATION = 'https://docs.github.com/rest';
const RATE_LIMIT_DOCUMENTATION = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
const SECONDARY_RATE_LIMIT_DOCUMENTATION =
  'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

let sharedOpenApi: GitHubOpenApi | undefined;

/** A request id in GitHub's format (`XXXX:XXXX:XXXXXX:XXXXXX:XXXXXXXX`). */
function requestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${Math.floor(Date.now() / 1000)
    .toString(16)
    .toUpperCase()}`;
}

function faultResponse(fault: AnsweredFault<FaultKind>, id: string, accountId: number): ApiResponse {
  switch (fault.type) {
    case 'primary-rate-limit':
      return {
        status: fault.status,
        body: {
          message: `API rate limit exceeded for user ID ${accountId}. If you reach out to GitHub Support for help, please include the request ID ${id} and timestamp ${new Date()
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d+Z$/, ' UTC')}.`,
          documentation_url: RATE_LIMIT_DOCUMENTATION,
          status: String(fault.status),
        },
      };
    case 'secondary-rate-limit': {
      const status = fault.status ?? 403;
      return {
        status,
        ...(fault.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(fault.retryAfterSeconds) } } : {}),
        body: {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
          documentation_url: SECONDARY_RATE_LIMIT_DOCUMENTATION,
          status: String(status),
        },
      };
    }
    default:
      return serverError(fault.status);
  }
}

function serverError(status: number): ApiResponse {
  return { status, body: { message: status === 503 ? 'Service Unavailable' : 'Server Error', status: String(status) } };
}

/** Starts a GitHub REST API test server on real HTTP (the shared host plumbing), backed by bare git repositories on disk. */
export async function startGitHubTestServer(options: GitHubTestServerOptions = {}): Promise<GitHubTestServer> {
  const dataDir = await openDataDirectory(options.dataDir, 'github-test-server-');
  const validateResponses = options.validateResponses ?? true;
  const store = await RepositoryStore.open(dataDir.path);
  const authenticatedUser = await store.ensureAccount(options.authenticatedUser ?? 'metastore-test', 'User');
  const openApi = (sharedOpenApi ??= GitHubOpenApi.load());
  const faults = new FaultInjector<FaultKind>();
  // GitHub's primary rate limit: an hourly window.
  const limiter = new RateLimiter(options.rateLimit ?? 5000, 3600);
  const coreBucket = () => ({ ...limiter.snapshot(), resource: 'core' });
  const apps = new GitHubApps(options.apps ?? [], options.installationTokenLifetimeSeconds ?? 3600, () => Date.now());
  const authentications = new WeakMap<Request, Authentication>();
  /** The request's credentials, checked once (the recording and the route both need them). */
  function authenticationOf(request: Request): Authentication {
    let authentication = authentications.get(request);
    if (!authentication) {
      authentication = apps.authenticate(request.headers.authorization);
      authentications.set(request, authentication);
    }
    return authentication;
  }

  function parseBody(request: Request): unknown {
    const raw = request.body as unknown;
    if (!Buffer.isBuffer(raw) || raw.byteLength === 0) return undefined;
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw new GitHubErrorResponse(400, 'Problems parsing JSON');
    }
  }

  /** GitHub's answer to credentials that may not call this route, if any (App JWTs, installation tokens). */
  function refuse(
    route: RouteDefinition,
    method: HttpMethod,
    params: Record<string, string>,
    authentication: Authentication,
  ): GitHubErrorResponse | undefined {
    if (route.authentication === 'app') return authentication.app ? undefined : (authentication.jwtFailure ?? badJwt());
    if (authentication.failure) return authentication.failure;
    const installation = authentication.installation;
    if (!installation) return undefined;
    const needed = requiredPermission(method, route.template);
    const forbidden = new GitHubErrorResponse(403, 'Resource not accessible by integration');
    if (needed === false || (needed && !permits(installation.token.permissions[needed.name], needed.level))) return forbidden;
    // An installation token reaches its own account's repositories only; others' are invisible.
    const account = installation.record.account.login.toLowerCase();
    if (params.owner !== undefined && params.owner.toLowerCase() !== account) return notFound();
    if (method !== 'GET' && params.org !== undefined && params.org.toLowerCase() !== account) return forbidden;
    return undefined;
  }

  async function run(route: RouteDefinition, method: HttpMethod, request: Request, urls: ServerUrls): Promise<ApiResponse> {
    const authentication = authenticationOf(request);
    const params = routeParams(request);
    const refusal = refuse(route, method, params, authentication);
    if (refusal) throw refusal;
    let repository: RouteContext['repository'];
    if (params.owner !== undefined && params.repo !== undefined) {
      repository = store.findRepository(params.owner, params.repo);
      if (!repository || faults.hidesRepository(repository.record.id, Date.now())) throw notFound();
      if (route.conflictsWhenEmpty && (await repository.git.isEmpty())) throw new GitHubErrorResponse(409, 'Git Repository is empty.');
    }
    const body = parseBody(request);
    if (BODY_METHODS.has(method)) {
      const errors = openApi.validateRequestBody(method, route.template, body ?? {});
      if (errors) throw new GitHubErrorResponse(422, invalidRequestMessage(errors));
    }
    return route.handle({
      method,
      params,
      query: queryParams(request),
      body: body ?? {},
      media: requestedMedia(request.headers.accept),
      urls,
      requestUrl: request.originalUrl,
      store,
      authenticatedUser: authentication.installation ? authentication.installation.record.app.bot : authenticatedUser,
      apps,
      ...(authentication.app && route.authentication === 'app' ? { app: authentication.app } : {}),
      ...(authentication.installation ? { installation: authentication.installation.record } : {}),
      ...(repository ? { repository } : {}),
      repositoryCreated: (stored) => faults.repositoryCreated(stored.record.id, Date.now()),
    });
  }

  function errorResponse(route: RouteDefinition, method: HttpMethod, error: unknown): ApiResponse {
    if (error instanceof GitHubErrorResponse) {
      const documentation = route.undocumented ? GENERIC_DOCUMENTATION : openApi.documentationUrl(method, route.template);
      return {
        status: error.status,
        body: {
          message: error.message,
          documentation_url: documentation,
          status: String(error.status),
          ...(error.errors ? { errors: error.errors } : {}),
        },
        ...(error.headers ? { headers: error.headers } : {}),
      };
    }
    console.error('github-test-server: unexpected error', error);
    return serverError(500);
  }

  const primaryLimit = (status: 403 | 429, resetInSeconds: number, id: string): ApiResponse => ({
    ...faultResponse({ type: 'primary-rate-limit', status, resetInSeconds }, id, authenticatedUser.id),
    rate: { remaining: 0, used: limiter.snapshot().limit, reset: Math.floor(Date.now() / 1000) + resetInSeconds },
  });

  const server: HostServer<{ credential: RecordedCredential }> = await startHostServer<
    RouteDefinition,
    FaultKind,
    { credential: RecordedCredential }
  >({
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    routes: allRoutes(coreBucket),
    unmatched: (request) => ({
      method: request.method as HttpMethod,
      template: request.path,
      expressPath: request.path,
      undocumented: true,
      handle: async () => Promise.reject(notFound()),
    }),
    faults,
    limiter,
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    requestId,
    async answer(route, method, request, { baseUrl }) {
      try {
        return await run(route, method as HttpMethod, request, { api: baseUrl, web: baseUrl });
      } catch (error) {
        return errorResponse(route, method as HttpMethod, error);
      }
    },
    faultAnswer: (fault, id) =>
      fault.type === 'primary-rate-limit'
        ? primaryLimit(fault.status, fault.resetInSeconds, id)
        : faultResponse(fault, id, authenticatedUser.id),
    // The bucket is empty: the same answer as GitHub's primary limit, the headers showing the real window.
    exhaustedAnswer: (id) => faultResponse({ type: 'primary-rate-limit', status: 403, resetInSeconds: 0 }, id, authenticatedUser.id),
    // GitHub does not count 304s (conditional requests) against the rate limit, nor the few free endpoints.
    counts: (route, status) => route.rateLimited !== false && status !== 304,
    // GitHub tags GET answers with weak ETags of the representation (If-None-Match revalidates them) and
    // writes with strong ones; raw contents carry the blob sha.
    etag(method, status, payload, contentType, answer) {
      if (method === 'GET' && status === 200) return answer.raw?.etag ?? weakEtag(payload, 'sha256', contentType);
      return status >= 200 && status < 300 ? strongEtag(payload) : undefined;
    },
    headers: ({ method, response, requestId: id, rate }) => ({
      'x-github-request-id': id,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': response.raw
        ? `github.v3; param=${response.mediaType?.endsWith('.sha') ? 'sha' : 'raw'}`
        : 'github.v3; format=json',
      ...rateLimitHeaders(rate, {
        limit: 'x-ratelimit-limit',
        remaining: 'x-ratelimit-remaining',
        reset: 'x-ratelimit-reset',
        used: 'x-ratelimit-used',
      }),
      'x-ratelimit-resource': 'core',
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      ...(method === 'GET' ? { 'cache-control': 'private, max-age=60, s-maxage=60' } : {}),
    }),
    ...(validateResponses
      ? {
          validate: (route: RouteDefinition, method: string, status: number, answer: ApiResponse) =>
            route.undocumented
              ? []
              : openApi.validateResponse(method, route.template, status, answer.mediaType ?? 'application/json', answer.body),
        }
      : {}),
    bodyError: (status) => ({
      status,
      body: {
        message: status === 413 ? 'Request body too large' : 'Problems parsing JSON',
        documentation_url: GENERIC_DOCUMENTATION,
        status: String(status),
      },
    }),
    describe: (request) => ({ credential: authenticationOf(request).credential }),
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
    get installationTokens() {
      return apps.issued;
    },
    resetRequests: () => server.resetRequests(),
    setLatency: (ms: number) => server.setLatency(ms),
    repositoryPath: (owner, repo) => store.repositoryPath(owner, repo),
    close: () => server.close(),
  };
}
