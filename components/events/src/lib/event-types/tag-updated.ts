import { EXAMPLE_DATASET, GRACE, TAG_V1, TAG_V1_MOVED } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { AUTHOR, eventData, REVISION, TAG } from '../event-schema.parts';

/** `tag.updated`: a tag was moved or its description changed. */
export const tagUpdated = defineEventType({
  type: 'tag.updated',
  title: 'Tag updated',
  summary: 'A tag was moved or its description changed.',
  data: eventData(
    'TagUpdatedData',
    'A tag was replaced (moved, or its description changed); `oldRevision` and `newRevision` are its targets before and after, `author` who replaced it.',
    { oldRevision: REVISION, newRevision: REVISION, author: AUTHOR, tag: TAG, previousTag: TAG },
  ),
  examples: [
    {
      name: 'tagMoved',
      summary: 'The tag moved to a later revision (with `force`).',
      sequence: '1060',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-02T16:30:00Z'),
        author: GRACE,
        oldRevision: TAG_V1.target,
        newRevision: TAG_V1_MOVED.target,
        tag: TAG_V1_MOVED,
        previousTag: TAG_V1,
        origin: 'api',
      },
    },
  ],
});
