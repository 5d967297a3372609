import { EXAMPLE_DATASET, ADA, FIRST_DESCRIPTOR, GRACE, REVISIONS, SECOND_DESCRIPTOR } from '../event-type.examples';
import { defineEventType } from '../event-type';
import { CHANGED_PARTS, commitData, REVISION } from '../event-schema.parts';

const HISTORY_REWRITTEN = {
  description:
    'Present (true) when `oldRevision`, the head last announced, is not an ancestor of `newRevision`: history was rewritten ' +
    '(a force-push, or the repository deleted and made again while the catalog was down). The commits in between are not announced one by one.',
  const: true,
} as const;

/** `dataset.updated`: a commit changed a dataset (or history was rewritten). */
export const datasetUpdated = defineEventType({
  type: 'dataset.updated',
  title: 'Dataset updated',
  summary: 'A commit changed a dataset.',
  data: commitData(
    'DatasetUpdatedData',
    'A commit moved the dataset from `oldRevision` to `newRevision` (its first parent), or, with `historyRewritten`, history was rewritten from `oldRevision` to `newRevision`.',
    { oldRevision: REVISION, changes: CHANGED_PARTS, historyRewritten: HISTORY_REWRITTEN },
  ),
  examples: [
    {
      name: 'updated',
      summary: 'A resource changed and one was added.',
      sequence: '1057',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-02T16:05:11Z'),
        author: GRACE,
        message: 'Add hourly readings',
        oldRevision: REVISIONS.first,
        newRevision: REVISIONS.second,
        descriptorSource: JSON.stringify(SECOND_DESCRIPTOR, null, 2),
        previousDescriptor: FIRST_DESCRIPTOR,
        origin: 'api',
      },
    },
    {
      name: 'updatedLargeDescriptor',
      summary: 'Pushed to the git host directly; the descriptor is above the size limit, so only its URL is sent.',
      sequence: '1058',
      maxDescriptorBytes: 256,
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-03T08:00:42Z'),
        author: GRACE,
        message: 'Describe every column of readings',
        oldRevision: REVISIONS.second,
        newRevision: REVISIONS.third,
        descriptorSource: JSON.stringify({ ...SECOND_DESCRIPTOR, description: 'Daily rainfall at 412 stations.' }, null, 2),
        previousDescriptor: SECOND_DESCRIPTOR,
        origin: 'sync',
      },
    },
    {
      name: 'updatedHistoryRewritten',
      summary: 'Force-pushed on the git host: the head the catalog knew is no longer in the history, so one event announces the new head.',
      sequence: '1059',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-04T10:12:30Z'),
        author: ADA,
        message: 'Start over from the first release',
        oldRevision: REVISIONS.third,
        newRevision: REVISIONS.rewritten,
        descriptorSource: JSON.stringify(FIRST_DESCRIPTOR, null, 2),
        previousDescriptor: SECOND_DESCRIPTOR,
        historyRewritten: true,
        origin: 'sync',
      },
    },
    {
      name: 'updatedInvalidDescriptor',
      summary:
        'Pushed to the git host directly with a datapackage.json that is not valid JSON: marked invalid, neither embedded nor linked (a PUT or revert repairs it).',
      sequence: '1061',
      change: {
        ...EXAMPLE_DATASET,
        time: new Date('2025-04-04T11:00:00Z'),
        author: GRACE,
        message: 'Fix a typo by hand',
        oldRevision: REVISIONS.rewritten,
        newRevision: REVISIONS.invalid,
        descriptorSource: '{ "name": "rainfall", ',
        previousDescriptor: FIRST_DESCRIPTOR,
        origin: 'sync',
      },
    },
  ],
});
