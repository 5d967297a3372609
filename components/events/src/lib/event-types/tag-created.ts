import { EXAMPLE_DATASET, ADA, TAG_V1 } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { AUTHOR, eventData, NO_REVISION, REVISION, TAG } from '../event-schema.parts';

/** `tag.created`: a tag was created on a revision. */
export const tagCreated = defineEventType({
  type: 'tag.created',
  title: 'Tag created',
  summary: 'A tag was created on a revision.',
  data: eventData('TagCreatedData', 'A tag was created; `newRevision` is its target.', {
    oldRevision: NO_REVISION,
    newRevision: REVISION,
    author: AUTHOR,
    tag: TAG,
  }),
  examples: [
    {
      name: 'tagCreated',
      summary: 'A release tag.',
      sequence: '1044',
      change: { ...EXAMPLE_DATASET, time: new Date(TAG_V1.createdAt), author: ADA, newRevision: TAG_V1.target, tag: TAG_V1, origin: 'api' },
    },
  ],
});
