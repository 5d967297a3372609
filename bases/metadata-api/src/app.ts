import { createServer as createHttpServer, type Server } from 'node:http';
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import type { Dependencies } from './dependencies';
import { authenticate, writeRateLimit } from './http/auth';
import { metricsOf } from './http/metrics';
import { fastReads } from './http/fast-reads';
import { problemHandler, routeNotFound } from './http/problem';
import { requestLog } from './http/request-log';
import { rejectMalformedUrl } from './http/request-guards';
import { securityHeaders } from './http/security-headers';
import { inSequence } from './http/sequence';
import { mountOperations } from './http/operation';
import { API_OPERATIONS } from './routes/operations';

/** Asked every few seconds by orchestrators and scrapers: not logged per request (their answers show in /metrics). */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** The CORS middleware for the configured origins (`*`: any), or none when no origin is configured. */
function corsOf(origins: readonly string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Location', 'Link', 'X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
}

/**
 * Builds the Express application over the given dependencies (no listening): the middleware every request passes
 * (metrics, logs, security headers, CORS, the URL check, authentication, the write rate limit), then every declared
 * operation (`API_OPERATIONS`, each parsing its own body once its policy allowed the caller), then the 404 and the
 * problem handler.
 */
export function createApp(dependencies: Dependencies): Express {
  const { config, logger } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  // Entity tags are revision shas, set by the handlers; Express must not invent its own.
  app.set('etag', false);
  app.set('query parser', 'simple');

  const cors = corsOf(config.auth.corsOrigins);
  // One layer for what every request passes, in this order (see inSequence).
  app.use(
    inSequence(
      metricsOf(dependencies).observe,
      requestLog(logger, PROBE_PATHS),
      // helmet's default security headers, precomputed: the API serves JSON, and /docs (Swagger UI) loads only its own files.
      securityHeaders,
      ...(cors ? [cors] : []),
      // A URL that cannot be decoded is the client's error whoever sends it: 400 before anything looks at it.
      rejectMalformedUrl,
      authenticate(dependencies.verifier, dependencies.revocations),
    ),
  );
  if (config.auth.writeRateLimitPerMinute > 0) app.use('/api/v1', writeRateLimit(config.auth.writeRateLimitPerMinute));
  mountOperations(app, API_OPERATIONS, dependencies);

  app.use(routeNotFound);
  app.use(problemHandler);
  return app;
}

/**
 * The API's HTTP server: reads of a descriptor that can be answered from memory go the fast way (fast-reads.ts),
 * everything else (and every read it cannot answer at once) to the Express app.
 */
export function createServer(dependencies: Dependencies): Server {
  const app = createApp(dependencies);
  const fast = fastReads(dependencies);
  return createHttpServer((req, res) => {
    if (!fast(req, res)) app(req, res);
  });
}
