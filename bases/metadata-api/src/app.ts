import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { asyncApiDocument } from '@metastore/events';
import type { Dependencies } from './dependencies';
import { JSON_TYPES } from './http/content-type';
import { requestContext } from './http/context';
import { createMetrics } from './http/metrics';
import { problemHandler, routeNotFound } from './http/problem';
import { openApiDocument } from './openapi/document';
import { datasetsRouter } from './routes/datasets.router';
import { eventsRouter } from './routes/events.router';
import { healthRouter } from './routes/health.router';
import { revisionsRouter } from './routes/revisions.router';
import { tagsRouter } from './routes/tags.router';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the Express application over the given dependencies (no listening). */
export function createApp(dependencies: Dependencies): Express {
  const { config, logger } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  // Entity tags are revision shas, set by the handlers; Express must not invent its own.
  app.set('etag', false);
  app.set('query parser', 'simple');

  const metrics = createMetrics(dependencies.backendStorage, dependencies.outbox);
  app.use(metrics.observe);
  app.use(
    pinoHttp({
      logger,
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
  app.use(express.json({ limit: config.bodyLimitBytes, type: JSON_TYPES, strict: true }));
  app.use(requestContext(config.defaultAuthor));

  const document = openApiDocument({ bodyLimitBytes: config.bodyLimitBytes });
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  const asyncApi = asyncApiDocument({ streamKey: config.events.stream, deadLetterKey: `${config.events.stream}:dead` });
  app.get('/asyncapi.json', (_req, res) => {
    res.json(asyncApi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Metastore API' }));
  app.get('/metrics', metrics.serve);
  app.use(healthRouter(dependencies));
  app.use('/api/v1', datasetsRouter(dependencies), revisionsRouter(dependencies), tagsRouter(dependencies), eventsRouter(dependencies));

  app.use(routeNotFound);
  app.use(problemHandler);
  return app;
}
