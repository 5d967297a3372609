import { Router } from 'express';
import type { Dependencies } from '../dependencies';
import { sendProblem } from '../http/problem';

/** Liveness (the process answers) and readiness (the storage is reachable and writable). */
export function healthRouter({ storage }: Dependencies): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    try {
      await storage.checkReady();
      res.json({ status: 'ready', storage: storage.backend });
    } catch (error) {
      req.log?.warn({ err: error }, 'not ready');
      sendProblem(res, 'STORAGE_UNAVAILABLE', `storage backend '${storage.backend}' is not ready`);
    }
  });
  return router;
}
