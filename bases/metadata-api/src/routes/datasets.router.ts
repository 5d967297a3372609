import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { formatDatasetId, parseDatasetId, parseOwner, type WriteOptions, type WriteResult } from '@metastore/datasets';
import { canRead } from '@metastore/authz';
import type { CatalogEntry } from '@metastore/catalog';
import { ValidationError } from '@metastore/errors';
import type { DatasetId } from '@metastore/storage';
import type { Dependencies } from '../dependencies';
import { noneMatch, requiredRevision, revisionEtag } from '../http/conditional';
import { requireContentType } from '../http/content-type';
import { accessContext, authorFor, policy, principalOf, requireCaller } from '../http/auth';
import { datasetIdOf, datasetPath, datasetTargetOf, wildcardParam } from '../http/paths';
import { validateBody, validateQuery } from '../http/validation';
import { createDatasetBody, listDatasetsQuery, refQuery, writeQuery } from '../openapi/schemas';

type Query = Record<string, string | number | undefined>;

/** Sends a write's outcome with the new revision as the entity tag. */
export function sendWriteResult(res: Response, id: DatasetId, result: WriteResult & { revertedTo?: string }, status = 200): void {
  res.set('ETag', revisionEtag(result.revision.sha)).status(status).json({ id: formatDatasetId(id), ...result });
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

/** Dataset endpoints: list and search (from the catalog), create, read, replace, merge-patch, delete, and one resource. */
export function datasetsRouter({ datasets, catalog, access }: Dependencies): Router {
  const router = Router();

  router.get('/datasets', policy('listDatasets', access), validateQuery(listDatasetsQuery), async (_req, res) => {
    const query = res.locals['query'] as { owner?: string; q?: string; keyword?: string; updatedSince?: string; limit: number; cursor?: string };
    const page = await catalog.search({
      limit: query.limit,
      ...(query.owner !== undefined ? { owner: parseOwner(query.owner) } : {}),
      ...(query.q !== undefined ? { q: query.q } : {}),
      ...(query.keyword !== undefined ? { keyword: query.keyword } : {}),
      ...(query.updatedSince !== undefined ? { updatedSince: new Date(query.updatedSince) } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
    // Datasets the caller may not read are left out (a page can then be shorter than `limit`; the cursor still moves on).
    const principal = principalOf(res);
    const visible = page.items.filter((entry) => canRead(principal, entry.id, accessContext(access, entry.id.owner)));
    res.json({ items: visible.map(datasetSummary), nextCursor: page.nextCursor ?? null });
  });

  router.post('/datasets', requireCaller, requireContentType('application/json'), validateBody(createDatasetBody), policy('createDataset', access, (req) => ({ owner: String(req.body.owner), name: String(req.body.name) })), async (req, res) => {
    const body = req.body as { owner: string; name: string; descriptor: unknown; message?: string; author?: { name: string; email: string } };
    const id = parseDatasetId(body.owner, body.name);
    const result = await datasets
      .create(id, body.descriptor, { author: authorFor(res, id, body.author), ...(body.message ? { message: body.message } : {}) })
      .catch((error: unknown) => {
        // The id was validated above, so a validation error here is the descriptor's, which sits under /descriptor.
        throw error instanceof ValidationError ? error.underPointer('/descriptor') : error;
      });
    res.location(datasetPath(id));
    sendWriteResult(res, id, result, 201);
  });

  router.get('/datasets/:owner/:name', policy('readDataset', access, datasetTargetOf), validateQuery(refQuery), async (req, res) => {
    const id = datasetIdOf(req.params);
    const ref = (res.locals['query'] as Query)['ref'] as string | undefined;
    const sha = await datasets.resolve(id, ref);
    res.set({ ETag: revisionEtag(sha), 'Cache-Control': cacheControlFor(ref, sha) });
    if (noneMatch(req, sha)) {
      res.status(304).end();
      return;
    }
    const snapshot = await datasets.readAt(id, sha);
    // The stored datapackage.json, byte for byte.
    res.type('application/json').send(snapshot.source);
  });

  /** Commit metadata of a write whose body is the descriptor itself: `?message=`, `?author=`, If-Match. */
  async function descriptorWriteOptions(req: Request, res: Response, id: DatasetId): Promise<WriteOptions> {
    const query = res.locals['query'] as Query;
    const ifMatch = await requiredRevision(req, () => datasets.resolve(id));
    return {
      author: authorFor(res, id, query['author'] as string | undefined),
      ...(query['message'] ? { message: String(query['message']) } : {}),
      ...(ifMatch ? { ifMatch } : {}),
    };
  }

  router.put('/datasets/:owner/:name', policy('replaceDataset', access, datasetTargetOf), requireContentType('application/json'), validateQuery(writeQuery), async (req, res) => {
    const id = datasetIdOf(req.params);
    sendWriteResult(res, id, await datasets.replace(id, req.body, await descriptorWriteOptions(req, res, id)));
  });

  router.patch(
    '/datasets/:owner/:name',
    policy('patchDataset', access, datasetTargetOf),
    requireContentType('application/merge-patch+json', 'application/json'),
    validateQuery(writeQuery),
    async (req, res) => {
      const id = datasetIdOf(req.params);
      sendWriteResult(res, id, await datasets.patch(id, req.body, await descriptorWriteOptions(req, res, id)));
    },
  );

  router.delete('/datasets/:owner/:name', policy('deleteDataset', access, datasetTargetOf), async (req, res) => {
    const id = datasetIdOf(req.params);
    // If-Match is checked by the storage under the dataset's lock, as close to the deletion as the backend allows (RFC 9110 §13.1.1).
    const ifMatch = await requiredRevision(req, () => datasets.resolve(id));
    await datasets.delete(id, { author: authorFor(res, id, undefined), ...(ifMatch ? { ifMatch } : {}) });
    res.status(204).end();
  });

  router.get('/datasets/:owner/:name/resources/*resource', policy('readResource', access, datasetTargetOf), validateQuery(refQuery), async (req, res) => {
    const id = datasetIdOf(req.params);
    const ref = (res.locals['query'] as Query)['ref'] as string | undefined;
    const { revision, resource } = await datasets.readResource(id, wildcardParam(req, 'resource'), ref);
    res.set({ ETag: revisionEtag(revision), 'Cache-Control': cacheControlFor(ref, revision) });
    res.json({ revision, resource });
  });

  return router;
}
