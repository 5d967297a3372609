import { Router } from 'express';
import type { Dependencies } from '../dependencies';
import { policy } from '../http/auth';
import { validateQuery } from '../http/validation';
import { eventsQuery } from '../openapi/schemas';

/** The outbox as a replayable feed: every event after a sequence, oldest first, for consumers behind the stream's retention. */
export function eventsRouter({ outbox, access }: Dependencies): Router {
  const router = Router();
  router.get('/events', policy('listEvents', access), validateQuery(eventsQuery), async (_req, res) => {
    const query = res.locals['query'] as { after?: string; limit: number };
    const page = await outbox.feed(query.after === undefined || query.after === '0' ? undefined : query.after, query.limit);
    res.json({ items: page.items, nextCursor: page.nextCursor ?? null });
  });
  return router;
}
