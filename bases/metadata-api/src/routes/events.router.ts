import { defineOperation, type Operation } from '../http/operation';
import { common, page } from '../openapi/parts';
import { eventsQuery } from '../openapi/schemas';

/** The outbox as a replayable feed: every event after a sequence, oldest first, for consumers behind the stream's retention. */
export const listEvents = defineOperation({
  operationId: 'listEvents',
  method: 'get',
  path: '/events',
  tags: ['events'],
  summary: 'Replay change events from the outbox',
  description:
    "Every change event after `after`, oldest first: the same events the Redis stream carries (see /asyncapi.json), for consumers that fell behind the stream's retention. Continue with `after` = the last `sequence` seen (also given as `nextCursor` when the page is full).",
  query: eventsQuery,
  responses: { 200: page('One page of events.', 'StoredEvent'), 400: common[400] },
  policy: { operation: 'listEvents' },
  handler: async ({ res, query, dependencies: { outbox } }) => {
    const feed = await outbox.feed(query.after === undefined || query.after === '0' ? undefined : query.after, query.limit);
    res.json({ items: feed.items, nextCursor: feed.nextCursor ?? null });
  },
});

/** The event feed's operations. */
export const EVENT_OPERATIONS: readonly Operation[] = [listEvents];
