import type { Request } from 'express';
import type { AccessTarget } from '@metastore/authz';
import { parseOwner } from '@metastore/datasets';
import { defineOperation, type Operation } from '../http/operation';
import { common, page } from '../openapi/parts';
import { eventsQuery } from '../openapi/schemas';

/**
 * Whose events a feed request asks for: `?owner=` by the dataset-id grammar (400 VALIDATION_FAILED otherwise, whoever
 * asks, before the policy), or every owner (`*`) without it.
 */
function eventsTargetOf(req: Request): AccessTarget {
  const owner = req.query['owner'];
  return { owner: owner === undefined ? '*' : parseOwner(owner) };
}

/** The outbox as a replayable feed: every event after a sequence, oldest first, for consumers behind the stream's retention. */
export const listEvents = defineOperation({
  operationId: 'listEvents',
  method: 'get',
  path: '/events',
  tags: ['events'],
  summary: 'Replay change events from the outbox',
  description:
    "Every change event after `after`, oldest first: the same events the Redis stream carries (see /asyncapi.json), for consumers that fell behind the stream's retention. Continue with `after` = the last `sequence` seen (also given as `nextCursor` when the page is full). With `owner`, only that owner's events, for a caller who may read every dataset of the owner (an owner-wide role or scope); without it, every event, for a caller who may read every dataset. A caller without that right gets 403, whether or not the owner has datasets. The cursor is the same sequence in both: a position in the whole feed resumes the owner's.",
  query: eventsQuery,
  responses: { 200: page('One page of events.', 'StoredEvent'), 400: common[400] },
  policy: { operation: 'listEvents', target: eventsTargetOf },
  handler: async ({ res, query, dependencies: { outbox } }) => {
    const after = query.after === undefined || query.after === '0' ? undefined : query.after;
    const feed = await outbox.feed(after, query.limit, query.owner === undefined ? {} : { owner: query.owner });
    res.json({ items: feed.items, nextCursor: feed.nextCursor ?? null });
  },
});

/** The event feed's operations. */
export const EVENT_OPERATIONS: readonly Operation[] = [listEvents];
