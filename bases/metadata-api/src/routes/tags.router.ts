import { Router } from 'express';
import type { Author } from '@metastore/storage';
import type { Dependencies } from '../dependencies';
import { JSON_TYPES, requireContentType } from '../http/content-type';
import { authorOf } from '../http/context';
import { datasetIdOf, datasetPath, wildcardParam } from '../http/paths';
import { validateBody, validateQuery } from '../http/validation';
import { createTagBody, pageQuery, updateTagBody } from '../openapi/schemas';

/** Tag endpoints: create, list, read, update (description; move with force), delete. */
export function tagsRouter({ tags }: Dependencies): Router {
  const router = Router();

  router.post('/datasets/:owner/:name/tags', requireContentType('application/json'), validateBody(createTagBody), async (req, res) => {
    const id = datasetIdOf(req);
    const body = req.body as { name: string; ref?: string; description?: string; author?: Author };
    const tag = await tags.create(id, {
      name: body.name,
      ...(body.ref ? { ref: body.ref } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      author: authorOf(res, body.author),
    });
    res.status(201).location(datasetPath(id, 'tags', ...tag.name.split('/'))).json(tag);
  });

  router.get('/datasets/:owner/:name/tags', validateQuery(pageQuery), async (req, res) => {
    const query = res.locals['query'] as { limit: number; cursor?: string };
    const page = await tags.list(datasetIdOf(req), { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    res.json({ items: page.items, nextCursor: page.nextCursor ?? null });
  });

  router.get('/datasets/:owner/:name/tags/*tag', async (req, res) => {
    res.json(await tags.get(datasetIdOf(req), wildcardParam(req, 'tag')));
  });

  router.patch('/datasets/:owner/:name/tags/*tag', requireContentType(...JSON_TYPES), validateBody(updateTagBody), async (req, res) => {
    const body = req.body as { description?: string; ref?: string; force?: boolean; author?: Author };
    const tag = await tags.update(datasetIdOf(req), wildcardParam(req, 'tag'), {
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.ref ? { ref: body.ref } : {}),
      force: body.force === true,
      author: authorOf(res, body.author),
    });
    res.json(tag);
  });

  router.delete('/datasets/:owner/:name/tags/*tag', async (req, res) => {
    await tags.delete(datasetIdOf(req), wildcardParam(req, 'tag'), authorOf(res, undefined));
    res.status(204).end();
  });

  return router;
}
