import { Router } from 'express';
import type { Author } from '@metastore/storage';
import type { Dependencies } from '../dependencies';
import { JSON_TYPES, requireContentType } from '../http/content-type';
import { authorFor, policy } from '../http/auth';
import { datasetIdOf, datasetPath, datasetTargetOf, wildcardParam } from '../http/paths';
import { validateBody, validateQuery } from '../http/validation';
import { createTagBody, pageQuery, updateTagBody } from '../openapi/schemas';

/** Tag endpoints: create, list, read, update (description; move with force), delete. */
export function tagsRouter({ tags, access }: Dependencies): Router {
  const router = Router();

  router.post('/datasets/:owner/:name/tags', policy('createTag', access, datasetTargetOf), requireContentType('application/json'), validateBody(createTagBody), async (req, res) => {
    const id = datasetIdOf(req);
    const body = req.body as { name: string; ref?: string; description?: string; author?: Author };
    const tag = await tags.create(id, {
      name: body.name,
      ...(body.ref ? { ref: body.ref } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      author: authorFor(res, id, body.author),
    });
    res.status(201).location(datasetPath(id, 'tags', ...tag.name.split('/'))).json(tag);
  });

  router.get('/datasets/:owner/:name/tags', policy('listTags', access, datasetTargetOf), validateQuery(pageQuery), async (req, res) => {
    const query = res.locals['query'] as { limit: number; cursor?: string };
    const page = await tags.list(datasetIdOf(req), { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    res.json({ items: page.items, nextCursor: page.nextCursor ?? null });
  });

  router.get('/datasets/:owner/:name/tags/*tag', policy('getTag', access, datasetTargetOf), async (req, res) => {
    res.json(await tags.get(datasetIdOf(req), wildcardParam(req, 'tag')));
  });

  router.patch('/datasets/:owner/:name/tags/*tag', policy('updateTag', access, datasetTargetOf), requireContentType(...JSON_TYPES), validateBody(updateTagBody), async (req, res) => {
    const body = req.body as { description?: string; ref?: string; force?: boolean; author?: Author };
    const id = datasetIdOf(req);
    const tag = await tags.update(id, wildcardParam(req, 'tag'), {
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.ref ? { ref: body.ref } : {}),
      force: body.force === true,
      author: authorFor(res, id, body.author),
    });
    res.json(tag);
  });

  router.delete('/datasets/:owner/:name/tags/*tag', policy('deleteTag', access, datasetTargetOf), async (req, res) => {
    const id = datasetIdOf(req);
    await tags.delete(id, wildcardParam(req, 'tag'), authorFor(res, id, undefined));
    res.status(204).end();
  });

  return router;
}
