import { Router } from 'express';
import type { Dependencies } from '../dependencies';
import { requiredRevision } from '../http/conditional';
import { requireContentType } from '../http/content-type';
import { authorFor, policy } from '../http/auth';
import { datasetIdOf, datasetPath, datasetTargetOf } from '../http/paths';
import { validateBody, validateQuery } from '../http/validation';
import { diffQuery, revertBody, revisionsQuery } from '../openapi/schemas';
import { sendWriteResult } from './datasets.router';

/** Revision endpoints: history, one revision, diff and revert. */
export function revisionsRouter({ datasets, revisions, access }: Dependencies): Router {
  const router = Router();

  router.get('/datasets/:owner/:name/revisions', policy('listRevisions', access, datasetTargetOf), validateQuery(revisionsQuery), async (req, res) => {
    const id = datasetIdOf(req.params);
    const query = res.locals['query'] as { limit: number; cursor?: string; ref?: string };
    const page = await revisions.list(id, {
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(query.ref ? { ref: query.ref } : {}),
    });
    if (page.nextCursor) {
      const next = new URLSearchParams({ limit: String(query.limit), cursor: page.nextCursor, ...(query.ref ? { ref: query.ref } : {}) });
      res.set('Link', `<${datasetPath(id, 'revisions')}?${next.toString()}>; rel="next"`);
    }
    res.json({ items: page.items, nextCursor: page.nextCursor ?? null });
  });

  router.get('/datasets/:owner/:name/revisions/:sha', policy('getRevision', access, datasetTargetOf), async (req, res) => {
    res.json(await revisions.get(datasetIdOf(req.params), String(req.params['sha'])));
  });

  router.get('/datasets/:owner/:name/diff', policy('diffRevisions', access, datasetTargetOf), validateQuery(diffQuery), async (req, res) => {
    const query = res.locals['query'] as { from: string; to?: string };
    res.json(await revisions.diff(datasetIdOf(req.params), query.from, query.to));
  });

  router.post('/datasets/:owner/:name/revert', policy('revertDataset', access, datasetTargetOf), requireContentType('application/json'), validateBody(revertBody), async (req, res) => {
    const id = datasetIdOf(req.params);
    const body = req.body as { to: string; message?: string; author?: { name: string; email: string } };
    const ifMatch = await requiredRevision(req, () => datasets.resolve(id));
    const result = await revisions.revert(id, body.to, {
      author: authorFor(res, id, body.author),
      ...(body.message ? { message: body.message } : {}),
      ...(ifMatch ? { ifMatch } : {}),
    });
    sendWriteResult(res, id, result);
  });

  return router;
}
