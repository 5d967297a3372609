import { defineOperation, type Operation } from '../http/operation';
import { datasetIdOf, datasetPath, datasetTargetOf } from '../http/paths';
import { common, descriptorInvalid, ifMatch, json, page, pathParameters, ref, writeResponses } from '../openapi/parts';
import { diffQuery, revertBody, revisionsQuery } from '../openapi/schemas';
import { sendWriteResult, writeOptions } from './datasets.router';

/** A dataset's history by first parent, newest first, a page at a time (with a `Link` to the next). */
export const listRevisions = defineOperation({
  operationId: 'listRevisions',
  method: 'get',
  path: '/datasets/:owner/:name/revisions',
  tags: ['revisions'],
  summary: 'Revisions, newest first',
  pathParameters,
  query: revisionsQuery,
  responses: { 200: page('One page; `Link: <...>; rel="next"` when there is more.', 'Revision'), ...common },
  policy: { operation: 'listRevisions', target: datasetTargetOf },
  handler: async ({ res, params, query, dependencies: { revisions } }) => {
    const id = datasetIdOf(params);
    const listed = await revisions.list(id, {
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(query.ref ? { ref: query.ref } : {}),
    });
    if (listed.nextCursor) {
      const next = new URLSearchParams({ limit: String(query.limit), cursor: listed.nextCursor, ...(query.ref ? { ref: query.ref } : {}) });
      res.set('Link', `<${datasetPath(id, 'revisions')}?${next.toString()}>; rel="next"`);
    }
    res.json({ items: listed.items, nextCursor: listed.nextCursor ?? null });
  },
});

/** One revision. */
export const getRevision = defineOperation({
  operationId: 'getRevision',
  method: 'get',
  path: '/datasets/:owner/:name/revisions/:sha',
  tags: ['revisions'],
  summary: 'One revision',
  pathParameters: [...pathParameters, { name: 'sha', in: 'path', required: true, schema: { type: 'string' } }],
  responses: { 200: { description: 'The revision.', content: json(ref('Revision')) }, ...common },
  policy: { operation: 'getRevision', target: datasetTargetOf },
  handler: async ({ res, params, dependencies: { revisions } }) => {
    res.json(await revisions.get(datasetIdOf(params), params.sha));
  },
});

/** The structured diff of the descriptor between two refs. */
export const diffRevisions = defineOperation({
  operationId: 'diffRevisions',
  method: 'get',
  path: '/datasets/:owner/:name/diff',
  tags: ['revisions'],
  summary: 'Structured diff of the descriptor between two refs',
  pathParameters,
  query: diffQuery,
  responses: { 200: { description: 'The diff.', content: json(ref('Diff')) }, ...common, 409: descriptorInvalid },
  policy: { operation: 'diffRevisions', target: datasetTargetOf },
  handler: async ({ res, params, query, dependencies: { revisions } }) => {
    res.json(await revisions.diff(datasetIdOf(params), query.from, query.to));
  },
});

/** A new revision whose content equals a ref's. */
export const revertDataset = defineOperation({
  operationId: 'revertDataset',
  method: 'post',
  path: '/datasets/:owner/:name/revert',
  tags: ['revisions'],
  summary: "A new revision whose content equals a ref's",
  pathParameters,
  headers: [ifMatch],
  body: { schema: revertBody, component: 'RevertRequest', mediaType: 'application/json' },
  responses: writeResponses,
  policy: { operation: 'revertDataset', target: datasetTargetOf },
  handler: async (input) => {
    const id = datasetIdOf(input.params);
    const result = await input.dependencies.revisions.revert(id, input.body.to, await writeOptions(input, id, input.body));
    sendWriteResult(input.res, id, result);
  },
});

/** Revision operations: history, one revision, diff and revert. */
export const REVISION_OPERATIONS: readonly Operation[] = [listRevisions, getRevision, diffRevisions, revertDataset];
