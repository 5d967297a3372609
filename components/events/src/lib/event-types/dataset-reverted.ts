import { EXAMPLE_DATASET, ADA, FIRST_DESCRIPTOR, REVISIONS, SECOND_DESCRIPTOR } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { CHANGED_PARTS, commitData, REVISION } from '../event-schema.parts';

/** `dataset.reverted`: a new revision restored an earlier revision's content. */
export const datasetReverted = defineEventType({
  type: 'dataset.reverted',
  title: 'Dataset reverted',
  summary: "A new revision restored an earlier revision's content.",
  data: commitData('DatasetRevertedData', 'A new revision `newRevision` restores the content of the earlier revision `revertedTo`.', {
    oldRevision: REVISION,
    changes: CHANGED_PARTS,
    revertedTo: REVISION,
  }),
  examples: [
    {
      name: 'reverted',
      summary: 'The first revision restored.',
      sequence: '1063',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-04T10:12:00Z'),
        author: ADA,
        message: `Revert to ${REVISIONS.first}`,
        oldRevision: REVISIONS.third,
        newRevision: REVISIONS.revert,
        descriptorSource: JSON.stringify(FIRST_DESCRIPTOR, null, 2),
        previousDescriptor: { ...SECOND_DESCRIPTOR, description: 'Daily rainfall at 412 stations.' },
        revertedTo: REVISIONS.first,
        origin: 'api',
      },
    },
  ],
});
