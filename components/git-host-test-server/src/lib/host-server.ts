import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { CommonFaultKind, FaultInjector } from './faults';
import type { RateLimitSnapshot, RateLimiter } from './rate-limit';
import type { SchemaViolation } from './schema-validation';

/** HTTP methods a host server routes. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An answer a route produces; the server adds headers, ETags, rate limits and validation. */
export interface HostResponse {
  readonly status: number;
  /** A JSON body. */
  readonly body?: unknown;
  /** A non-JSON body (raw file contents, a bare sha). */
  readonly raw?: { readonly bytes: Buffer; readonly contentType: string; readonly etag?: string };
  readonly headers?: Readonly<Record<string, string>>;
  /** The media type the host's description lists the body under (default `application/json`). */
  readonly mediaType?: string;
  /** What the rate-limit headers show instead of the bucket's state (a simulated exhausted limit). */
  readonly rate?: Partial<RateLimitSnapshot>;
}

/** What the plumbing needs of a route; hosts add their handler and flags. */
export interface HostRoute {
  readonly method: HttpMethod;
  /** The host's documented path template, e.g. `/repos/{owner}/{repo}/git/trees`: faults and recorded requests name it. */
  readonly template: string;
  /** The Express 5 path (wildcards for parameters that are the rest of the path). */
  readonly expressPath: string;
}

/** One request the server answered (or cut). */
export interface RecordedRequest {
  readonly method: string;
  /** The route template with the method, e.g. `POST /repos/{owner}/{repo}/git/trees`. */
  readonly path: string;
  /** The status answered; 0 when an injected fault cut the connection instead. */
  readonly status: number;
  /** Whether the host counts it against the rate limit. */
  readonly rateLimited: boolean;
}

/** Fault kinds the plumbing leaves to the host to answer (server errors in its format, its rate-limit answers). */
export type AnsweredFault<K extends { readonly type: string }> =
  | Exclude<K, { type: 'latency' | 'error-after-effect' | 'cut-connection' | 'cut-after-effect' }>
  | { readonly type: 'server-error'; readonly status: 500 | 502 | 503 };

/** What the host decides per request; everything else (Express, faults, ETags, recording) is the plumbing's. */
export interface HostServerOptions<R extends HostRoute, K extends { readonly type: string }, E extends object> {
  readonly host?: string;
  readonly port?: number;
  readonly routes: readonly R[];
  /** The route a request that matches none is answered as (its handler gives the host's 404). */
  readonly unmatched: (request: Request) => R;
  readonly faults: FaultInjector<K | CommonFaultKind>;
  readonly limiter: RateLimiter;
  /** Latency added to every request, in milliseconds (default 0). */
  readonly latencyMs?: number;
  /** A new request id in the host's format. */
  readonly requestId: () => string;
  /** Answers a request; the host maps its own errors to answers (a throw becomes `serverError(500)`). */
  readonly answer: (
    route: R,
    method: HttpMethod,
    request: Request,
    context: { requestId: string; baseUrl: string },
  ) => Promise<HostResponse>;
  /** The answer to an injected fault the plumbing does not answer itself. */
  readonly faultAnswer: (fault: AnsweredFault<K>, requestId: string) => HostResponse;
  /** The answer when the rate-limit bucket is exhausted. */
  readonly exhaustedAnswer: (requestId: string) => HostResponse;
  /** Whether an answer counts against the rate limit. */
  readonly counts: (route: R, status: number) => boolean;
  /** The ETag of an answer with a body, if the host gives one (GET answers are revalidated with If-None-Match: 304). */
  readonly etag: (method: HttpMethod, status: number, payload: Buffer, contentType: string, answer: HostResponse) => string | undefined;
  /** The host's headers of an answer: request id, rate-limit headers under its names, caching. */
  readonly headers: (answer: {
    readonly route: R;
    readonly method: HttpMethod;
    readonly response: HostResponse;
    readonly status: number;
    readonly requestId: string;
    readonly rate: RateLimitSnapshot;
  }) => Record<string, string>;
  /** Problems of a JSON answer against the host's documented schemas (empty when it fits or is undocumented). */
  readonly validate?: (route: R, method: HttpMethod, status: number, answer: HostResponse) => readonly string[];
  /** The answer to a body the server could not take (400 unreadable, 413 too large). */
  readonly bodyError: (status: 400 | 413) => HostResponse;
  /** Extra fields recorded with each request (credentials it carried, ...). */
  readonly describe?: (request: Request) => E;
  /** Runs after the server stopped listening (removing a temporary data directory). */
  readonly onClose?: () => Promise<void>;
}

/** A running host server. */
export interface HostServer<E extends object> {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Every request answered since start or the last `resetRequests()`. */
  readonly requests: readonly (RecordedRequest & E)[];
  /** Answers that did not match the host's documented schemas. */
  readonly violations: readonly SchemaViolation[];
  /** Forgets the recorded requests. */
  resetRequests(): void;
  /** Sets the latency added to every request, in milliseconds. */
  setLatency(ms: number): void;
  /** Stops listening, drops open connections and runs `onClose`. */
  close(): Promise<void>;
}

/** A data directory: the one given, or a temporary one that `dispose` removes. */
export async function openDataDirectory(given: string | undefined, prefix: string): Promise<{ path: string; dispose(): Promise<void> }> {
  if (given !== undefined) return { path: given, dispose: async () => undefined };
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: directory, dispose: () => rm(directory, { recursive: true, force: true }) };
}

/** True when an `If-None-Match` header matches `etag` (weak comparison, `*` matches anything). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim() === '*' || weak(candidate) === weak(etag));
}

/** A weak ETag of a representation (`W/"<hash>"`). */
export function weakEtag(payload: Buffer, algorithm: 'md5' | 'sha256' = 'sha256', salt = ''): string {
  return `W/"${createHash(algorithm).update(salt).update(payload).digest('hex')}"`;
}

/** A strong ETag of a representation (`"<hash>"`). */
export function strongEtag(payload: Buffer, algorithm: 'md5' | 'sha256' = 'md5'): string {
  return `"${createHash(algorithm).update(payload).digest('hex')}"`;
}

/** Route parameters as strings: Express 5 decodes each segment and gives wildcards as arrays of segments. */
export function routeParams(request: Request): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.params as Record<string, unknown>).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join('/') : String(value ?? ''),
    ]),
  );
}

/** The query as single strings (the first of repeated parameters). */
export function queryParams(request: Request): Record<string, string | undefined> {
  const first = (value: unknown): string | undefined =>
    Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : undefined;
  return Object.fromEntries(Object.entries(request.query).map(([name, value]) => [name, first(value)]));
}

const WRITABLE_HOST = /^[A-Za-z0-9.\-[\]:]+$/;

/**
 * Starts a host's REST API on real HTTP (Express 5 on `node:http`): registers the routes, adds
 * latency and injected faults (delays, server errors, the host's rate-limit answers, cut connections,
 * errors after the effect), counts requests against a rate-limit bucket, tags answers with ETags and
 * answers `If-None-Match` with 304, records every request, and checks JSON answers with the host's validator.
 */
export async function startHostServer<R extends HostRoute, K extends { readonly type: string }, E extends object>(
  options: HostServerOptions<R, K, E>,
): Promise<HostServer<E>> {
  const { faults, limiter } = options;
  const requests: (RecordedRequest & E)[] = [];
  const violations: SchemaViolation[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let url = '';

  function baseUrlOf(request: Request): string {
    // URLs in bodies use the address the client used (a container name, a proxy), as self-managed hosts do.
    const requestedHost = request.headers.host;
    return requestedHost && WRITABLE_HOST.test(requestedHost) ? `${request.protocol}://${requestedHost}` : url;
  }

  function record(route: R, method: HttpMethod, request: Request, status: number, rateLimited: boolean): void {
    const extra = options.describe ? options.describe(request) : ({} as E);
    requests.push({ ...extra, method: request.method, path: `${method} ${route.template}`, status, rateLimited });
  }

  function send(route: R, method: HttpMethod, request: Request, response: Response, answer: HostResponse, requestId: string): void {
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
    const etag = payload && contentType ? options.etag(method, status, payload, contentType, answer) : undefined;
    if (etag && (method === 'GET' || method === 'HEAD') && status === 200 && etagMatches(request.headers['if-none-match'], etag))
      status = 304;
    const counted = options.counts(route, status);
    if (counted) limiter.consume();
    const rate = { ...limiter.snapshot(), ...answer.rate };
    record(route, method, request, status, counted);
    if (options.validate && status !== 304 && answer.body !== undefined && !answer.raw) {
      const errors = options.validate(route, method, status, answer);
      if (errors.length > 0) violations.push({ method, route: route.template, status, errors });
    }
    response.status(status);
    response.set({
      ...options.headers({ route, method, response: answer, status, requestId, rate }),
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

  async function answerSafely(route: R, method: HttpMethod, request: Request, requestId: string): Promise<HostResponse> {
    try {
      return await options.answer(route, method, request, { requestId, baseUrl: baseUrlOf(request) });
    } catch (error) {
      console.error('test server: unexpected error', error);
      return options.faultAnswer({ type: 'server-error', status: 500 }, requestId);
    }
  }

  function cut(route: R, method: HttpMethod, request: Request): void {
    record(route, method, request, 0, false);
    request.socket.destroy();
  }

  async function dispatch(route: R, request: Request, response: Response): Promise<void> {
    const method = (request.method === 'HEAD' && route.method !== 'HEAD' ? 'GET' : request.method) as HttpMethod;
    const requestId = options.requestId();
    if (latencyMs > 0) await delay(latencyMs);
    const decision = faults.decide(method, route.template, request.path);
    if (decision.delayMs > 0) await delay(decision.delayMs);
    const fault = decision.fault as Exclude<K | CommonFaultKind, { type: 'latency' }> | undefined;
    if (fault?.type === 'cut-connection') return cut(route, method, request);
    let answer: HostResponse;
    if (fault && fault.type !== 'error-after-effect' && fault.type !== 'cut-after-effect') {
      answer = options.faultAnswer(fault as AnsweredFault<K>, requestId);
    } else if (options.counts(route, 200) && limiter.exhausted()) {
      answer = options.exhaustedAnswer(requestId);
    } else {
      answer = await answerSafely(route, method, request, requestId);
      // The effect happened; the answer is lost on the way back (a client retry must cope).
      if (fault?.type === 'cut-after-effect') return cut(route, method, request);
      if (fault?.type === 'error-after-effect') {
        const { status } = fault as Extract<CommonFaultKind, { type: 'error-after-effect' }>;
        answer = options.faultAnswer({ type: 'server-error', status }, requestId);
      }
    }
    send(route, method, request, response, answer, requestId);
  }

  // Requests still being handled: `close` waits for them before `onClose` removes the data they may be reading.
  const inFlight = new Set<Promise<void>>();
  function track(handling: Promise<void>): Promise<void> {
    inFlight.add(handling);
    return handling.finally(() => inFlight.delete(handling));
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(express.raw({ type: () => true, limit: '200mb' }));
  for (const route of options.routes) {
    const register = {
      GET: app.get,
      HEAD: app.head,
      POST: app.post,
      PUT: app.put,
      PATCH: app.patch,
      DELETE: app.delete,
    }[route.method].bind(app);
    register(route.expressPath, (request: Request, response: Response) => track(dispatch(route, request, response)));
  }
  app.use((request: Request, response: Response) => track(dispatch(options.unmatched(request), request, response)));
  app.use((error: Error & { status?: number }, _request: Request, response: Response, _next: NextFunction) => {
    const answer = options.bodyError(error.status === 413 ? 413 : 400);
    response.status(answer.status).json(answer.body);
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
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
    get violations() {
      return violations;
    },
    resetRequests() {
      requests.length = 0;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...inFlight]);
      await options.onClose?.();
    },
  };
}
