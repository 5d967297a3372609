import {
  authorSchema,
  diffSchema,
  problemSchema,
  revisionSchema,
  tagSchema,
  warningSchema,
  writeResultSchema,
  mintTokenResult,
} from './schemas';
import { MAX_DESCRIPTOR_DEPTH } from '@metastore/datasets';
import { MAX_BODY_DEPTH } from '../http/request-guards';
import { documentedBodies, documentedPaths } from '../http/operation';
import { API_OPERATIONS } from '../routes/operations';
import { problem } from './parts';

type Operation = { responses: Record<string, unknown> };

/**
 * Every operation answers 401 without a valid token and 403 when the caller may see but not do, and 503 when a backend is down; writes may
 * be rate limited.
 */
function withAccessResponses<T extends { paths: Record<string, Record<string, unknown>> }>(document: T): T {
  for (const item of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      // Path-level parameters and servers (the health probes live outside /api/v1) are no operations.
      if (method === 'parameters' || method === 'servers') continue;
      const responses = (operation as Operation).responses;
      responses['401'] ??= problem('No valid bearer token (UNAUTHENTICATED); the WWW-Authenticate header says why.');
      responses['403'] ??= problem(
        'The token may see the dataset but not do this (FORBIDDEN). A caller who may not read it gets 404 instead.',
      );
      if (method !== 'get')
        responses['429'] ??= problem('Too many writes by this caller (RATE_LIMITED); Retry-After says when to try again.');
      responses['503'] ??= problem(
        "Git storage or the catalog is unavailable (STORAGE_UNAVAILABLE); when a git host's rate limit resets later than the service waits, Retry-After says when.",
      );
    }
  }
  return document;
}

/** The OpenAPI 3.1 description of the REST API, served at /openapi.json. */
export function openApiDocument(options: { bodyLimitBytes: number }): object {
  return withAccessResponses({
    openapi: '3.1.0',
    info: {
      title: 'Metastore API',
      version: '1.0.0',
      description:
        'Versioned dataset metadata: Frictionless Data Package descriptors stored in git repositories. ' +
        'Every write is one commit (a revision); tags are annotated git tags; any read can be made at a revision or tag. ' +
        `Errors are RFC 9457 problems with a stable \`code\`. Request bodies are limited to ${options.bodyLimitBytes} bytes and to ${MAX_BODY_DEPTH} levels of nested objects and arrays ` +
        `(checked before parsing: 400 JSON_TOO_DEEP; a descriptor itself nests at most ${MAX_DESCRIPTOR_DEPTH}); a body whose Content-Encoding cannot be decoded is 400 INVALID_CONTENT_ENCODING, ` +
        'an unsupported Content-Encoding 415. A URL that is not validly percent-encoded UTF-8, or whose path holds U+0000, is 400 INVALID_URL (before authentication); ' +
        'U+0000 anywhere in a body or a query parameter is 400 VALIDATION_FAILED. Server failures (500, 503) carry a generic `detail`: the `requestId` finds the cause in the logs.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/api/v1' }],
    tags: [
      { name: 'datasets' },
      { name: 'revisions' },
      { name: 'tags' },
      { name: 'events' },
      { name: 'tokens' },
      { name: 'webhooks' },
      { name: 'health' },
    ],
    paths: {
      ...documentedPaths(API_OPERATIONS),
    },
    components: {
      schemas: {
        DatasetSummary: {
          type: 'object',
          required: ['id', 'owner', 'name', 'keywords', 'licenses', 'resourceCount', 'headRevision', 'createdAt', 'updatedAt', 'backend'],
          properties: {
            id: { type: 'string' },
            owner: { type: 'string' },
            name: { type: 'string' },
            title: { type: 'string' },
            description: { type: 'string' },
            keywords: { type: 'array', items: { type: 'string' } },
            licenses: { type: 'array', items: { type: 'string' } },
            resourceCount: { type: 'integer', minimum: 0 },
            headRevision: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time', description: 'Time of the first revision.' },
            updatedAt: { type: 'string', format: 'date-time', description: 'Time of the head revision.' },
            backend: { type: 'string' },
            location: {
              type: 'string',
              description:
                'Where the repository lives: its URL on a remote git host, or on the local backend `repositories/<owner>/<name>.git` (relative to the data directory).',
            },
          },
        },
        StoredEvent: {
          type: 'object',
          required: ['sequence', 'event'],
          properties: {
            sequence: { type: 'string', description: 'Position in the outbox; pass the last one seen as `after`.' },
            event: { type: 'object', description: 'A CloudEvents 1.0 event, as described in /asyncapi.json.' },
          },
        },
        ReadinessChecks: {
          type: 'object',
          description: 'Each dependency: `up`, `degraded` (works, with a caveat) or `down`.',
          required: ['storage', 'catalog', 'events', 'revocations'],
          properties: {
            storage: {
              type: 'object',
              required: ['status', 'backend'],
              properties: { status: { enum: ['up', 'down'] }, backend: { type: 'string' } },
            },
            catalog: {
              type: 'object',
              required: ['status'],
              properties: {
                status: {
                  enum: ['up', 'degraded', 'down'],
                  description: '`degraded`: it answers, but changes journaled while it did not still wait to be recorded.',
                },
                pendingChanges: {
                  type: 'integer',
                  minimum: 0,
                  description:
                    'Changes acknowledged while the catalog database did not answer, waiting in the journal to be recorded with their events.',
                },
              },
            },
            events: {
              type: 'object',
              required: ['status', 'stream'],
              properties: {
                status: {
                  enum: ['up', 'degraded'],
                  description: '`degraded` while publishing to the stream fails (events wait in the outbox).',
                },
                stream: {
                  enum: ['redis', 'none'],
                  description: '`none` without REDIS_URL: events stay in the outbox (GET /api/v1/events).',
                },
                pendingEvents: {
                  type: 'integer',
                  minimum: 0,
                  description: 'Events not yet published (absent when the catalog database does not answer).',
                },
                failingSince: { type: 'string', format: 'date-time' },
              },
            },
            revocations: {
              type: 'object',
              required: ['status', 'staleSeconds'],
              properties: {
                status: {
                  enum: ['up', 'degraded', 'down'],
                  description:
                    '`degraded`: it cannot be read and an older copy answers; `down`: none recent enough is left, tokens with an id get 503.',
                },
                staleSeconds: {
                  type: 'number',
                  minimum: 0,
                  description: 'Age of the copy answering while the list cannot be read; 0 otherwise.',
                },
                loadedAt: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
        Author: authorSchema,
        Revision: revisionSchema,
        Tag: tagSchema,
        Warning: warningSchema,
        WriteResult: writeResultSchema,
        Diff: diffSchema,
        Problem: problemSchema,
        MintTokenResult: mintTokenResult,
        ...documentedBodies(API_OPERATIONS),
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
  });
}
