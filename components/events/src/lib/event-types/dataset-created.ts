import { EXAMPLE_DATASET, ADA, FIRST_DESCRIPTOR, REVISIONS } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { CHANGED_PARTS_ON_CREATE, commitData, NO_REVISION } from '../event-schema.parts';

/** `dataset.created`: a dataset was created with its first revision. */
export const datasetCreated = defineEventType({
  type: 'dataset.created',
  title: 'Dataset created',
  summary: 'A dataset was created with its first revision.',
  data: commitData(
    'DatasetCreatedData',
    'A dataset was created with its first revision. `changes` lists every field and resource as new.',
    {
      oldRevision: NO_REVISION,
      changes: CHANGED_PARTS_ON_CREATE,
    },
  ),
  examples: [
    {
      name: 'created',
      summary: 'Created through the API; the descriptor is embedded.',
      sequence: '1041',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-03-14T09:26:53Z'),
        author: ADA,
        message: 'Create acme/rainfall',
        newRevision: REVISIONS.first,
        descriptorSource: JSON.stringify(FIRST_DESCRIPTOR, null, 2),
        origin: 'api',
      },
    },
  ],
});
