import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

declare module 'http' {
  interface IncomingMessage {
    /** This request's id: the caller's `X-Request-Id` if it is plain, else a fresh UUID. */
    id: string;
    /** Where `logOf` finds the process logger, and the request's logger once made. */
    requestLogger?: { readonly base: Logger; bound?: Logger };
  }
}

/** A caller's `X-Request-Id` is kept when it is this short and plain; otherwise the request gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * This request's logger: the process logger bound to the request (`req`: id, method, URL), for errors met on the way;
 * made on first use (most requests never log anything but their line). Undefined outside `requestLog`.
 */
export function logOf(req: IncomingMessage): Logger | undefined {
  const holder = req.requestLogger;
  if (holder === undefined) return undefined;
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
  return (holder.bound ??= holder.base.child({ req: { id: req.id, method: req.method, url } }));
}

/** Starts a request's log: gives it an id, returned for its `X-Request-Id` header, and writes its line when the response is done. */
export type BeginRequestLog = (req: IncomingMessage, res: ServerResponse) => string;

/**
 * One log line per request, when its response is sent (or the connection closed before): the request's id, method and
 * URL, its status and time in milliseconds, at `info`, `warn` for 4xx, `error` for 5xx; never headers (no credentials).
 * Every request gets an id (`X-Request-Id`, the caller's if it is plain, else a UUID), to answer in the header of that
 * name (`requestLog` sets it), kept as `req.id`; `logOf(req)` is the logger bound to it. Requests to `unloggedPaths` (probes, scrapes) get
 * no line. It writes what pino-http wrote with our serializers, on plain Node requests (the fast read path's too).
 */
export function beginRequestLog(logger: Logger, unloggedPaths: ReadonlySet<string> = new Set()): BeginRequestLog {
  // The line's fields are ours and hold no header: pino's redaction (of req.headers.*) has nothing to do there.
  const lines = logger.child({}, { redact: [] });
  return (req, res) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    req.requestLogger = { base: logger };
    const url = req.url ?? '/';
    // The path as Express reads it (`req.path`): up to a query or a fragment.
    const pathEnd = url.search(/[?#]/);
    if (unloggedPaths.has(pathEnd === -1 ? url : url.slice(0, pathEnd))) return id;
    const start = performance.now();
    const method = req.method;
    res.once('close', () => {
      const responseTime = Math.round(performance.now() - start);
      const status = res.statusCode;
      const line = { req: { id, method, url }, res: { statusCode: status }, responseTime };
      if (!res.writableFinished) lines.warn(line, 'request aborted');
      else if (status >= 500) lines.error(line, 'request errored');
      else if (status >= 400) lines.warn(line, 'request completed');
      else lines.info(line, 'request completed');
    });
    return id;
  };
}

/** `beginRequestLog` as Express middleware. */
export function requestLog(logger: Logger, unloggedPaths: ReadonlySet<string> = new Set()): RequestHandler {
  const begin = beginRequestLog(logger, unloggedPaths);
  return (req, res, next) => {
    res.setHeader('X-Request-Id', begin(req, res));
    next();
  };
}
