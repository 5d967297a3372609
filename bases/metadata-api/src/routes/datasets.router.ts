import path from 'node:path';
import type { Request, Response } from 'express';
import {
  formatDatasetId,
  NO_NUMBER_FORMS,
  numberFormsOf,
  numberFormsUnder,
  parseDatasetId,
  parseOwner,
  type NumberForms,
  type WriteOptions,
  type WriteResult,
} from '@metastore/datasets';
import { canRead } from '@metastore/authz';
import type { CatalogEntry } from '@metastore/catalog';
import { ValidationError } from '@metastore/errors';
import type { Author, DatasetId } from '@metastore/storage';
import type { Dependencies } from '../dependencies';
import { noneMatch, requiredRevision, revisionEtag } from '../http/conditional';
import { accessContext, authorFor, principalOf } from '../http/auth';
import { defineOperation, type Operation } from '../http/operation';
import { datasetIdOf, datasetPath, datasetTargetOf } from '../http/paths';
import { receivedBodyText } from '../http/request-guards';
import { common, descriptorInvalid, etagHeader, ifMatch, json, page, pathParameters, problem, ref, writeResponses } from '../openapi/parts';
import { createDatasetBody, listDatasetsQuery, refQuery, validateQuery, validationReportSchema, writeQuery } from '../openapi/schemas';

/** Sends a write's outcome with the new revision as the entity tag. */
export function sendWriteResult(res: Response, id: DatasetId, result: WriteResult & { revertedTo?: string }, status = 200): void {
  res
    .set('ETag', revisionEtag(result.revision.sha))
    .status(status)
    .json({ id: formatDatasetId(id), ...result });
}

/** Reads at a full sha never change; anything else (head, tag, branch) is revalidated with the ETag. */
export function cacheControlFor(ref: string | undefined, sha: string): string {
  return ref === sha ? 'private, max-age=31536000, immutable' : 'private, no-cache';
}

/** A catalog row as the API lists it; a location recorded as a path on the server (before locations were relative) is not shown. */
function datasetSummary(entry: CatalogEntry) {
  return {
    id: formatDatasetId(entry.id),
    owner: entry.id.owner,
    name: entry.id.name,
    ...(entry.title !== undefined ? { title: entry.title } : {}),
    ...(entry.description !== undefined ? { description: entry.description } : {}),
    keywords: entry.keywords,
    licenses: entry.licenses,
    resourceCount: entry.resourceCount,
    headRevision: entry.headRevision,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    backend: entry.backend,
    ...(path.win32.isAbsolute(entry.location) ? {} : { location: entry.location }),
  };
}

/** How the numbers of the request body (under `prefix`) were written, so that `1.0` is stored as `1.0`. */
function submittedNumberForms(req: Request, prefix = ''): NumberForms {
  const text = receivedBodyText(req);
  if (text === undefined) return NO_NUMBER_FORMS;
  const forms = numberFormsOf(text);
  return prefix === '' ? forms : numberFormsUnder(forms, prefix);
}

/** Whether a request asks for strict validation: its `strict` parameter, else the server's METASTORE_STRICT_VALIDATION. */
function strictFor(query: { strict?: boolean }, dependencies: Dependencies): boolean {
  return query.strict ?? dependencies.config.strictValidation ?? false;
}

/**
 * Commit metadata of a write: its author (the caller's, or the one named if the caller may write as others), `message`
 * and the revision If-Match requires. The author is authorized before If-Match is looked at (which may resolve the head).
 */
export async function writeOptions(
  { req, res, dependencies }: { req: Request; res: Response; dependencies: Dependencies },
  id: DatasetId,
  requested: { author?: Author | string; message?: string; strict?: boolean } = {},
): Promise<WriteOptions> {
  const author = authorFor(res, id, requested.author);
  const ifMatchRevision = await requiredRevision(req, () => dependencies.datasets.resolve(id));
  return {
    author,
    strict: strictFor(requested, dependencies),
    ...(requested.message ? { message: requested.message } : {}),
    ...(ifMatchRevision ? { ifMatch: ifMatchRevision } : {}),
  };
}

/** Lists and searches datasets from the catalog, leaving out those the caller may not read. */
export const listDatasets = defineOperation({
  operationId: 'listDatasets',
  method: 'get',
  path: '/datasets',
  tags: ['datasets'],
  summary: 'List and search datasets (from the catalog)',
  description:
    'Datasets that are not deleted, filtered by owner, keyword, update time and a full-text query. Without `q` in (owner, name) order; with `q` by relevance (in (owner, name) order when the query matches more than 1000 datasets, to bound its cost). Keyset pagination: pass `nextCursor` back as `cursor`. The catalog follows git: writes through this API appear at once, changes pushed to the git host directly after the next sync.',
  query: listDatasetsQuery,
  responses: { 200: page('One page of datasets.', 'DatasetSummary'), 400: common[400] },
  policy: { operation: 'listDatasets' },
  handler: async ({ res, query, dependencies: { catalog, access } }) => {
    const found = await catalog.search({
      limit: query.limit,
      ...(query.owner !== undefined ? { owner: parseOwner(query.owner) } : {}),
      ...(query.q !== undefined ? { q: query.q } : {}),
      ...(query.keyword !== undefined ? { keyword: query.keyword } : {}),
      ...(query.updatedSince !== undefined ? { updatedSince: new Date(query.updatedSince) } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
    // Datasets the caller may not read are left out (a page can then be shorter than `limit`; the cursor still moves on).
    const principal = principalOf(res);
    const visible = found.items.filter((entry) => canRead(principal, entry.id, accessContext(access, entry.id.owner)));
    res.json({ items: visible.map(datasetSummary), nextCursor: found.nextCursor ?? null });
  },
});

/** Creates a dataset: its repository and first revision. */
export const createDataset = defineOperation({
  operationId: 'createDataset',
  method: 'post',
  path: '/datasets',
  tags: ['datasets'],
  summary: 'Create a dataset (its first revision)',
  description:
    'The descriptor is stored as sent (numbers as written: `1.0` stays `1.0`). `400` lists every error of it under `/descriptor`, one per cause, each with a stable `code`.',
  query: validateQuery,
  body: { schema: createDatasetBody, component: 'CreateDatasetRequest', mediaType: 'application/json' },
  responses: {
    201: {
      description: 'Created.',
      headers: { ...etagHeader, Location: { schema: { type: 'string' } } },
      content: json(ref('WriteResult')),
    },
    400: common[400],
    409: problem('The dataset exists (DATASET_ALREADY_EXISTS).'),
    413: writeResponses[413],
    415: writeResponses[415],
  },
  policy: { operation: 'createDataset', bodyTarget: (body) => ({ owner: body.owner, name: body.name }) },
  handler: async ({ req, res, body, query, dependencies }) => {
    const id = parseDatasetId(body.owner, body.name);
    const result = await dependencies.datasets
      .create(id, body.descriptor, {
        author: authorFor(res, id, body.author),
        strict: strictFor(query, dependencies),
        numberForms: submittedNumberForms(req, '/descriptor'),
        ...(body.message ? { message: body.message } : {}),
      })
      .catch((error: unknown) => {
        // The id was validated above, so a validation error here is the descriptor's, which sits under /descriptor.
        throw error instanceof ValidationError ? error.underPointer('/descriptor') : error;
      });
    res.location(datasetPath(id));
    sendWriteResult(res, id, result, 201);
  },
});

/** Reads the stored descriptor at the head or a ref, revalidated with the revision as ETag. */
export const readDataset = defineOperation({
  operationId: 'readDataset',
  method: 'get',
  path: '/datasets/:owner/:name',
  tags: ['datasets'],
  summary: 'Read the descriptor (datapackage.json) at the head or at a ref',
  pathParameters,
  headers: [{ name: 'If-None-Match', in: 'header', schema: { type: 'string' } }],
  query: refQuery,
  responses: {
    200: {
      description: 'The stored datapackage.json. The ETag is the revision sha.',
      headers: etagHeader,
      content: json({ type: 'object', description: 'A Frictionless Data Package descriptor.' }),
    },
    304: { description: 'If-None-Match names this revision.' },
    ...common,
    409: descriptorInvalid,
  },
  policy: { operation: 'readDataset', target: datasetTargetOf },
  handler: async ({ req, res, params, query, dependencies: { datasets } }) => {
    const id = datasetIdOf(params);
    const sha = await datasets.resolve(id, query.ref);
    res.set({ ETag: revisionEtag(sha), 'Cache-Control': cacheControlFor(query.ref, sha) });
    if (noneMatch(req, sha)) {
      res.status(304).end();
      return;
    }
    const snapshot = await datasets.readAt(id, sha);
    // The stored datapackage.json, byte for byte.
    res.type('application/json').send(snapshot.source);
  },
});

/** Replaces the descriptor (a new revision; none when identical). */
export const replaceDataset = defineOperation({
  operationId: 'replaceDataset',
  method: 'put',
  path: '/datasets/:owner/:name',
  tags: ['datasets'],
  summary: 'Replace the descriptor (a new revision; none when identical)',
  pathParameters,
  headers: [ifMatch],
  query: writeQuery,
  // The datasets component checks the descriptor (profiles, depth, U+0000), with pointers into it.
  body: { schema: { type: 'object', description: 'The new descriptor.' }, mediaType: 'application/json', validated: false },
  responses: writeResponses,
  policy: { operation: 'replaceDataset', target: datasetTargetOf },
  handler: async (input) => {
    const id = datasetIdOf(input.params);
    const options = { ...(await writeOptions(input, id, input.query)), numberForms: submittedNumberForms(input.req) };
    sendWriteResult(input.res, id, await input.dependencies.datasets.replace(id, input.body, options));
  },
});

/** Applies a JSON Merge Patch (RFC 7396) to the descriptor. */
export const patchDataset = defineOperation({
  operationId: 'patchDataset',
  method: 'patch',
  path: '/datasets/:owner/:name',
  tags: ['datasets'],
  summary: 'Apply a JSON Merge Patch (RFC 7396) to the descriptor',
  pathParameters,
  headers: [ifMatch],
  query: writeQuery,
  body: { schema: { type: 'object' }, mediaType: 'application/merge-patch+json', alsoAccepted: ['application/json'], validated: false },
  responses: writeResponses,
  policy: { operation: 'patchDataset', target: datasetTargetOf },
  handler: async (input) => {
    const id = datasetIdOf(input.params);
    const options = { ...(await writeOptions(input, id, input.query)), numberForms: submittedNumberForms(input.req) };
    sendWriteResult(input.res, id, await input.dependencies.datasets.patch(id, input.body, options));
  },
});

/** Deletes the dataset (its repository and whole history). */
export const deleteDataset = defineOperation({
  operationId: 'deleteDataset',
  method: 'delete',
  path: '/datasets/:owner/:name',
  tags: ['datasets'],
  summary: 'Delete the dataset',
  description:
    'Deletes the repository and its whole history. With If-Match, only while the head is that revision (`*`: any existing dataset); ' +
    "the local backend checks it under git's lock on the branch, GitHub (which cannot delete conditionally) right before the delete request.",
  pathParameters,
  headers: [{ ...ifMatch, description: 'The revision sha (an ETag) last seen: 412 and nothing deleted when the head is another.' }],
  responses: {
    204: { description: 'Deleted.' },
    ...common,
    412: problem('If-Match names a revision that is not the head (PRECONDITION_FAILED); nothing was deleted.'),
  },
  policy: { operation: 'deleteDataset', target: datasetTargetOf },
  handler: async (input) => {
    const id = datasetIdOf(input.params);
    // If-Match is checked by the storage under the dataset's lock, as close to the deletion as the backend allows (RFC 9110 §13.1.1).
    await input.dependencies.datasets.delete(id, await writeOptions(input, id));
    input.res.status(204).end();
  },
});

/** One resource of the descriptor at the head or a ref. */
export const readResource = defineOperation({
  operationId: 'readResource',
  method: 'get',
  path: '/datasets/:owner/:name/resources/*resource',
  tags: ['datasets'],
  summary: "One resource's metadata at a revision",
  pathParameters: [...pathParameters, { name: 'resource', in: 'path', required: true, schema: { type: 'string' } }],
  query: refQuery,
  responses: {
    200: {
      description: 'The resource object of the descriptor.',
      headers: etagHeader,
      content: json({
        type: 'object',
        required: ['revision', 'resource'],
        properties: { revision: { type: 'string' }, resource: { type: 'object' } },
      }),
    },
    ...common,
    409: descriptorInvalid,
  },
  policy: { operation: 'readResource', target: datasetTargetOf },
  handler: async ({ res, params, query, dependencies: { datasets } }) => {
    const { revision, resource } = await datasets.readResource(datasetIdOf(params), params.resource, query.ref);
    res.set({ ETag: revisionEtag(revision), 'Cache-Control': cacheControlFor(query.ref, revision) });
    res.json({ revision, resource });
  },
});

/**
 * Validates a descriptor without writing it: the errors and warnings a write would answer, with the same codes and
 * pointers (a separate endpoint rather than a dry-run flag on writes: it needs no dataset, so a pipeline can check a
 * package before it exists, with no write right anywhere).
 */
export const validateDescriptor = defineOperation({
  operationId: 'validateDescriptor',
  method: 'post',
  path: '/validate',
  tags: ['datasets'],
  summary: 'Validate a descriptor (what a write would answer), writing nothing',
  description:
    'Answers `200` whether or not the descriptor is valid: `valid`, and the `errors` (which would refuse a create or PUT of it, as `400` with the same items under `/descriptor` for a create) and `warnings` (which a write returns) with stable codes, pointers and rules. Any authenticated caller; anonymous callers too when anonymous reads are on.',
  query: validateQuery,
  // The datasets component checks the descriptor (profiles, depth, U+0000), with pointers into it.
  body: { schema: { type: 'object', description: 'The descriptor to check.' }, mediaType: 'application/json', validated: false },
  responses: {
    200: { description: 'The validation report.', content: json(validationReportSchema) },
    400: common[400],
    413: writeResponses[413],
    415: writeResponses[415],
  },
  policy: { operation: 'validateDescriptor' },
  handler: ({ res, body, query, dependencies }) => {
    const strict = strictFor(query, dependencies);
    const report = dependencies.datasets.validate(body, { strict });
    res.json({
      valid: report.errors.length === 0,
      version: report.version,
      profile: report.profile,
      strict,
      errors: report.errors,
      warnings: report.warnings,
    });
  },
});

/** Dataset operations: list and search (from the catalog), validate, create, read, replace, merge-patch, delete, and one resource. */
export const DATASET_OPERATIONS: readonly Operation[] = [
  listDatasets,
  validateDescriptor,
  createDataset,
  readDataset,
  replaceDataset,
  patchDataset,
  deleteDataset,
  readResource,
];
