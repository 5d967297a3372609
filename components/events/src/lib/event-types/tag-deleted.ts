import { EXAMPLE_DATASET, TAG_V1_MOVED } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { AUTHOR_OR_NULL, eventData, NO_REVISION, REVISION, TAG } from '../event-schema.parts';

/** `tag.deleted`: a tag was deleted. */
export const tagDeleted = defineEventType({
  type: 'tag.deleted',
  title: 'Tag deleted',
  summary: 'A tag was deleted.',
  data: eventData('TagDeletedData', 'A tag was deleted; `oldRevision` was its target. `author` is null when nobody is known.', {
    oldRevision: REVISION,
    newRevision: NO_REVISION,
    author: AUTHOR_OR_NULL,
    previousTag: TAG,
  }),
  examples: [
    {
      name: 'tagDeleted',
      summary: 'The tag was deleted.',
      sequence: '1071',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-10T07:45:00Z'),
        oldRevision: TAG_V1_MOVED.target,
        previousTag: TAG_V1_MOVED,
        origin: 'api',
      },
    },
  ],
});
