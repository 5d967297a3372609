import { Router } from 'express';
import type { Dependencies } from '../dependencies';
import { policy } from '../http/auth';
import { sendProblem } from '../http/problem';

/** Liveness (the process answers) and readiness (the storage is reachable and writable, the catalog database answers). */
export function healthRouter({ storage, catalog, access }: Dependencies): Router {
  const router = Router();
  router.get('/healthz', policy('health', access), (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', policy('readiness', access), async (req, res) => {
    try {
      await storage.checkReady();
    } catch (error) {
      req.log?.warn({ err: error }, 'not ready');
      sendProblem(res, 'STORAGE_UNAVAILABLE', `storage backend '${storage.backend}' is not ready`);
      return;
    }
    try {
      await catalog.checkReady();
    } catch (error) {
      req.log?.warn({ err: error }, 'not ready');
      sendProblem(res, 'STORAGE_UNAVAILABLE', 'the catalog database is not ready');
      return;
    }
    res.json({ status: 'ready', storage: storage.backend, catalog: 'ready' });
  });
  return router;
}
