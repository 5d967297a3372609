import { EXAMPLE_DATASET, ADA, REVISIONS } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { AUTHOR_OR_NULL, eventData, NO_REVISION, REVISION } from '../event-schema.parts';

/** `dataset.deleted`: a dataset was deleted. */
export const datasetDeleted = defineEventType({
  type: 'dataset.deleted',
  title: 'Dataset deleted',
  summary: 'A dataset was deleted.',
  data: eventData(
    'DatasetDeletedData',
    'The dataset was deleted. `oldRevision` is its last head when the catalog knew it; `author` is null when nobody is known (a deletion the sync worker found).',
    { oldRevision: { anyOf: [REVISION, NO_REVISION] }, newRevision: NO_REVISION, author: AUTHOR_OR_NULL },
  ),
  examples: [
    {
      name: 'deleted',
      summary: 'Deleted through the API.',
      sequence: '1102',
      change: { ...EXAMPLE_DATASET, time: new Date('2025-05-01T12:00:00Z'), author: ADA, oldRevision: REVISIONS.revert, origin: 'api' },
    },
    {
      name: 'deletedFoundBySync',
      summary: 'The repository disappeared from the git host; nobody is known to have deleted it.',
      sequence: '1103',
      change: {
        id: { owner: 'acme', name: 'snowfall' },
        backend: 'github',
        location: 'https://github.com/acme/snowfall',
        time: new Date('2025-05-01T12:03:10Z'),
        origin: 'sync',
      },
    },
  ],
});
