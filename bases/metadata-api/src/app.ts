import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Dependencies } from './dependencies';
import { authenticate, writeRateLimit } from './http/auth';
import { metricsOf } from './http/metrics';
import { problemHandler, routeNotFound } from './http/problem';
import { rejectMalformedUrl } from './http/request-guards';
import { mountOperations } from './http/operation';
import { API_OPERATIONS } from './routes/operations';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Asked every few seconds by orchestrators and scrapers: not logged per request (their answers show in /metrics). */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

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

  app.use(metricsOf(dependencies).observe);
  app.use(
    pinoHttp({
      logger,
      autoLogging: { ignore: (req) => PROBE_PATHS.has((req.url ?? '').split('?')[0]!) },
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // Keep request logs small and free of credentials: method, path, status, timing, request id.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // Security headers; the API serves JSON, and /docs (Swagger UI) loads only its own scripts and styles.
  app.use(helmet());
  if (config.auth.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.auth.corsOrigins.includes('*') ? '*' : [...config.auth.corsOrigins],
        allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'X-Request-Id'],
        exposedHeaders: ['ETag', 'Location', 'Link', 'X-Request-Id', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  // A URL that cannot be decoded is the client's error whoever sends it: 400 before anything looks at it.
  app.use(rejectMalformedUrl);
  app.use(authenticate(dependencies.verifier, dependencies.revocations));
  if (config.auth.writeRateLimitPerMinute > 0) app.use('/api/v1', writeRateLimit(config.auth.writeRateLimitPerMinute));
  mountOperations(app, API_OPERATIONS, dependencies);

  app.use(routeNotFound);
  app.use(problemHandler);
  return app;
}
