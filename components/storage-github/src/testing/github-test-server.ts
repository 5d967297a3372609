import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { FaultInjector, type FaultKind, type GitHubTestServerFaults } from './faults';
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
import { RateLimiter } from './rate-limit';
import { RepositoryStore } from './repository-store';
import type { ServerUrls } from './representations';
import type { RateLimitSnapshot } from './routes/meta.routes';
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

function firstValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstValue(value[0]);
  return typeof value === 'string' ? value : undefined;
}

function normaliseParams(params: Record<string, unknown>): Record<string, string> {
  // Express 5 decodes each segment (so `heads%2Fmain` is `heads/main`) and gives wildcards as arrays.
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, Array.isArray(value) ? value.join('/') : String(value ?? '')]),
  );
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim() === '*' || weak(candidate) === weak(etag));
}

function faultResponse(fault: FaultKind, id: string, accountId: number): ApiResponse {
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
      return serverError(fault.type === 'latency' ? 500 : fault.status);
  }
}

function serverError(status: number): ApiResponse {
  return { status, body: { message: status === 503 ? 'Service Unavailable' : 'Server Error', status: String(status) } };
}

/** Starts a GitHub REST API test server on real HTTP, backed by bare git repositories on disk. */
export async function startGitHubTestServer(options: GitHubTestServerOptions = {}): Promise<GitHubTestServer> {
  const host = options.host ?? '127.0.0.1';
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'github-test-server-')));
  const validateResponses = options.validateResponses ?? true;
  const store = await RepositoryStore.open(dataDir);
  const authenticatedUser = await store.ensureAccount(options.authenticatedUser ?? 'metastore-test', 'User');
  const openApi = (sharedOpenApi ??= GitHubOpenApi.load());
  const faults = new FaultInjector();
  const limiter = new RateLimiter(options.rateLimit ?? 5000);
  const apps = new GitHubApps(options.apps ?? [], options.installationTokenLifetimeSeconds ?? 3600, () => Date.now());
  const requests: RecordedRequest[] = [];
  const violations: SchemaViolation[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let url = '';

  function urlsFor(request: Request): ServerUrls {
    // URLs in bodies use the address the client used (a container name, a proxy), like GitHub Enterprise does.
    const requestedHost = request.headers.host;
    const base = requestedHost && /^[A-Za-z0-9.\-[\]:]+$/.test(requestedHost) ? `${request.protocol}://${requestedHost}` : url;
    return { api: base, web: base };
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

  async function run(route: RouteDefinition, method: HttpMethod, request: Request, authentication: Authentication): Promise<ApiResponse> {
    const params = normaliseParams(request.params as Record<string, unknown>);
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
    const query = Object.fromEntries(Object.entries(request.query).map(([name, value]) => [name, firstValue(value)]));
    return route.handle({
      method,
      params,
      query,
      body: body ?? {},
      media: requestedMedia(request.headers.accept),
      urls: urlsFor(request),
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

  function send(
    route: RouteDefinition,
    method: HttpMethod,
    request: Request,
    response: Response,
    answer: ApiResponse,
    id: string,
    credential: RecordedCredential,
    rate?: Partial<RateLimitSnapshot>,
  ): void {
    let status = answer.status;
    let payload: Buffer | undefined;
    let contentType: string | undefined;
    if (answer.raw) {
      payload = answer.raw.bytes;
      contentType = answer.raw.contentType;
    } else if (answer.body !== undefined) {
      payload = Buffer.from(JSON.stringify(answer.body));
      contentType = 'application/json; charset=utf-8';
    }
    // GitHub tags GET answers with weak ETags of the representation (If-None-Match revalidates them) and
    // writes with strong ones; raw contents carry the blob sha.
    let etag: string | undefined;
    if (method === 'GET' && status === 200 && payload) {
      etag =
        answer.raw?.etag ??
        `W/"${createHash('sha256')
          .update(contentType ?? '')
          .update(payload)
          .digest('hex')}"`;
      if (etagMatches(request.headers['if-none-match'], etag)) status = 304;
    } else if (status >= 200 && status < 300 && payload) {
      etag = `"${createHash('md5').update(payload).digest('hex')}"`;
    }
    // GitHub does not count 304s (conditional requests) against the rate limit.
    const counted = route.rateLimited !== false && status !== 304;
    if (counted) limiter.consume();
    const limits = { ...limiter.snapshot(), ...rate };
    requests.push({ method: request.method, path: `${method} ${route.template}`, status, rateLimited: counted, credential });
    if (validateResponses && !route.undocumented && status !== 304 && answer.body !== undefined && !answer.raw) {
      const errors = openApi.validateResponse(method, route.template, status, answer.mediaType ?? 'application/json', answer.body);
      if (errors.length > 0) violations.push({ method, route: route.template, status, errors });
    }
    response.status(status);
    response.set({
      'x-github-request-id': id,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': answer.raw
        ? `github.v3; param=${answer.mediaType?.endsWith('.sha') ? 'sha' : 'raw'}`
        : 'github.v3; format=json',
      'x-ratelimit-limit': String(limits.limit),
      'x-ratelimit-remaining': String(limits.remaining),
      'x-ratelimit-reset': String(limits.reset),
      'x-ratelimit-used': String(limits.used),
      'x-ratelimit-resource': limits.resource,
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      ...(method === 'GET' ? { 'cache-control': 'private, max-age=60, s-maxage=60' } : {}),
      ...(etag ? { etag } : {}),
      ...answer.headers,
    });
    if (status === 304 || payload === undefined) {
      response.end();
      return;
    }
    response.set('content-type', contentType);
    response.end(payload);
  }

  async function dispatch(route: RouteDefinition, request: Request, response: Response): Promise<void> {
    const method = (request.method === 'HEAD' ? 'GET' : request.method) as HttpMethod;
    const id = requestId();
    const authentication = apps.authenticate(request.headers.authorization);
    let answer: ApiResponse;
    let rate: Partial<RateLimitSnapshot> | undefined;
    try {
      if (latencyMs > 0) await delay(latencyMs);
      const decision = faults.decide(method, route.template, request.path);
      if (decision.delayMs > 0) await delay(decision.delayMs);
      const fault = decision.fault;
      if (fault && fault.type !== 'error-after-effect') {
        answer = faultResponse(fault, id, authenticatedUser.id);
        if (fault.type === 'primary-rate-limit')
          rate = { remaining: 0, used: limiter.snapshot().limit, reset: Math.floor(Date.now() / 1000) + fault.resetInSeconds };
      } else if (route.rateLimited !== false && limiter.exhausted()) {
        answer = faultResponse({ type: 'primary-rate-limit', status: 403, resetInSeconds: 0 }, id, authenticatedUser.id);
      } else {
        try {
          answer = await run(route, method, request, authentication);
        } catch (error) {
          answer = errorResponse(route, method, error);
        }
        // The effect happened; the answer is lost on the way back (a client retry must cope).
        if (fault?.type === 'error-after-effect') answer = serverError(fault.status);
      }
    } catch (error) {
      answer = errorResponse(route, method, error);
    }
    send(route, method, request, response, answer, id, authentication.credential, rate);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(express.raw({ type: () => true, limit: '200mb' }));
  for (const route of allRoutes(() => limiter.snapshot())) {
    const register = { GET: app.get, POST: app.post, PUT: app.put, PATCH: app.patch, DELETE: app.delete }[route.method].bind(app);
    register(route.expressPath, (request: Request, response: Response) => dispatch(route, request, response));
  }
  app.use((request: Request, response: Response) =>
    dispatch(
      {
        method: request.method as HttpMethod,
        template: request.path,
        expressPath: request.path,
        undocumented: true,
        handle: async () => Promise.reject(notFound()),
      },
      request,
      response,
    ),
  );
  app.use((error: Error & { status?: number }, request: Request, response: Response, _next: NextFunction) => {
    const status = error.status === 413 ? 413 : 400;
    const message = status === 413 ? 'Request body too large' : 'Problems parsing JSON';
    response.status(status).json({ message, documentation_url: GENERIC_DOCUMENTATION, status: String(status) });
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const address = server.address() as AddressInfo;
  // A wildcard address is not one a client can use: point at loopback instead.
  const reachable = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${address.port}`;

  return {
    url,
    get requests() {
      return requests;
    },
    faults,
    get violations() {
      return violations;
    },
    get installationTokens() {
      return apps.issued;
    },
    resetRequests() {
      requests.length = 0;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    repositoryPath: (owner, repo) => store.repositoryPath(owner, repo),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
