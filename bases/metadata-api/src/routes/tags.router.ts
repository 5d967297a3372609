import { authorFor } from '../http/auth';
import { defineOperation, type Operation } from '../http/operation';
import { datasetIdOf, datasetPath, datasetTargetOf } from '../http/paths';
import { common, json, page, pathParameters, problem, ref, writeResponses } from '../openapi/parts';
import { createTagBody, pageQuery, updateTagBody } from '../openapi/schemas';

const tagParameters = [
  ...pathParameters,
  { name: 'tag', in: 'path', required: true, schema: { type: 'string' }, description: 'May contain `/` (raw or as %2F).' },
];

/** Tags in name order, a page at a time. */
export const listTags = defineOperation({
  operationId: 'listTags',
  method: 'get',
  path: '/datasets/:owner/:name/tags',
  tags: ['tags'],
  summary: 'Tags in name order',
  pathParameters,
  query: pageQuery,
  responses: { 200: page('One page of tags.', 'Tag'), ...common },
  policy: { operation: 'listTags', target: datasetTargetOf },
  handler: async ({ res, params, query, dependencies: { tags } }) => {
    const listed = await tags.list(datasetIdOf(params), { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    res.json({ items: listed.items, nextCursor: listed.nextCursor ?? null });
  },
});

/** Tags a revision (the head when no ref is given). */
export const createTag = defineOperation({
  operationId: 'createTag',
  method: 'post',
  path: '/datasets/:owner/:name/tags',
  tags: ['tags'],
  summary: 'Tag a revision (an annotated git tag)',
  pathParameters,
  body: { schema: createTagBody, component: 'CreateTagRequest', mediaType: 'application/json' },
  responses: {
    201: { description: 'Created.', content: json(ref('Tag')) },
    ...common,
    409: problem('The tag exists (TAG_ALREADY_EXISTS).'),
    415: writeResponses[415],
  },
  policy: { operation: 'createTag', target: datasetTargetOf },
  handler: async ({ res, params, body, dependencies: { tags } }) => {
    const id = datasetIdOf(params);
    const tag = await tags.create(id, {
      name: body.name,
      ...(body.ref ? { ref: body.ref } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      author: authorFor(res, id, body.author),
    });
    res
      .status(201)
      .location(datasetPath(id, 'tags', ...tag.name.split('/')))
      .json(tag);
  },
});

/** One tag. */
export const getTag = defineOperation({
  operationId: 'getTag',
  method: 'get',
  path: '/datasets/:owner/:name/tags/*tag',
  tags: ['tags'],
  summary: 'One tag',
  pathParameters: tagParameters,
  responses: { 200: { description: 'The tag.', content: json(ref('Tag')) }, ...common },
  policy: { operation: 'getTag', target: datasetTargetOf },
  handler: async ({ res, params, dependencies: { tags } }) => {
    res.json(await tags.get(datasetIdOf(params), params.tag));
  },
});

/** Changes a tag's description, or moves it with force. */
export const updateTag = defineOperation({
  operationId: 'updateTag',
  method: 'patch',
  path: '/datasets/:owner/:name/tags/*tag',
  tags: ['tags'],
  summary: 'Change the description, or move the tag with force',
  pathParameters: tagParameters,
  body: {
    schema: updateTagBody,
    component: 'UpdateTagRequest',
    mediaType: 'application/json',
    alsoAccepted: ['application/merge-patch+json'],
  },
  responses: {
    200: { description: 'The tag.', content: json(ref('Tag')) },
    ...common,
    409: problem('Moving a tag without force (TAG_MOVE_REQUIRES_FORCE).'),
    415: writeResponses[415],
  },
  policy: { operation: 'updateTag', target: datasetTargetOf },
  handler: async ({ res, params, body, dependencies: { tags } }) => {
    const id = datasetIdOf(params);
    const tag = await tags.update(id, params.tag, {
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.ref ? { ref: body.ref } : {}),
      force: body.force === true,
      author: authorFor(res, id, body.author),
    });
    res.json(tag);
  },
});

/** Deletes a tag. */
export const deleteTag = defineOperation({
  operationId: 'deleteTag',
  method: 'delete',
  path: '/datasets/:owner/:name/tags/*tag',
  tags: ['tags'],
  summary: 'Delete a tag',
  pathParameters: tagParameters,
  responses: { 204: { description: 'Deleted.' }, ...common },
  policy: { operation: 'deleteTag', target: datasetTargetOf },
  handler: async ({ res, params, dependencies: { tags } }) => {
    const id = datasetIdOf(params);
    await tags.delete(id, params.tag, authorFor(res, id, undefined));
    res.status(204).end();
  },
});

/** Tag operations: create, list, read, update (description; move with force), delete. */
export const TAG_OPERATIONS: readonly Operation[] = [listTags, createTag, getTag, updateTag, deleteTag];
