import swaggerUi from 'swagger-ui-express';
import { asyncApiDocument } from '@metastore/events-redis';
import { defineOperation, defineSubApp, perApp, type Operation } from '../http/operation';
import { openApiDocument } from '../openapi/document';

/** The OpenAPI description of this app, built once (its text mentions the configured body limit). */
const openApiOf = perApp(({ config }) => openApiDocument({ bodyLimitBytes: config.bodyLimitBytes }));

/** The AsyncAPI description of the events this app publishes, built once (it names the configured stream). */
const asyncApiOf = perApp(({ config }) =>
  asyncApiDocument({ streamKey: config.events.stream, deadLetterKey: `${config.events.stream}:dead` }),
);

/** The OpenAPI 3.1 description of the REST API. Not an operation of itself: the document describes the API, not where it is served. */
export const openApiJson = defineOperation({
  operationId: 'openApiDocument',
  method: 'get',
  path: '/openapi.json',
  mount: 'root',
  documented: false,
  summary: 'The OpenAPI description of the REST API',
  policy: { operation: 'openApiDocument' },
  handler: ({ res, dependencies }) => {
    res.json(openApiOf(dependencies));
  },
});

/** The AsyncAPI 3 description of the change events and their Redis stream. */
export const asyncApiJson = defineOperation({
  operationId: 'asyncApiDocument',
  method: 'get',
  path: '/asyncapi.json',
  mount: 'root',
  documented: false,
  summary: 'The AsyncAPI description of the change events',
  policy: { operation: 'asyncApiDocument' },
  handler: ({ res, dependencies }) => {
    res.json(asyncApiOf(dependencies));
  },
});

/** Browsable docs of /openapi.json: Swagger UI's page, its initialiser and static assets under /docs. */
export const docs = defineSubApp({
  operationId: 'docs',
  path: '/docs',
  mount: 'root',
  documented: false,
  summary: 'Browsable API docs (Swagger UI)',
  policy: { operation: 'docs' },
  subApp: (dependencies) => [...swaggerUi.serve, swaggerUi.setup(openApiOf(dependencies), { customSiteTitle: 'Metastore API' })],
});

/** The API's descriptions and their browsable docs, outside /api/v1. */
export const DOCUMENT_OPERATIONS: readonly Operation[] = [openApiJson, asyncApiJson, docs];
