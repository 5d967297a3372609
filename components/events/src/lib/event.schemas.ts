import { EVENT_TYPES, type EventType } from './event.model';

// Every schema here keeps to the keywords draft-07 and draft 2020-12 share (no `$defs`, `unevaluatedProperties`,
// `dependentRequired`), so the same objects serve as 2020-12 schemas and as AsyncAPI 3.0 Schema Objects (a draft-07 superset).
// Shared parts are reused by identity: `asyncApiDocument` turns each of them into one named component.

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const BASE_URI = 'https://metastore.dev/schemas/events/';
const SEGMENT = '[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?';

const REVISION = {
  title: 'Revision',
  description: 'A full git commit sha: 40 lowercase hex digits (SHA-1) or 64 (SHA-256).',
  type: 'string',
  pattern: '^(?:[0-9a-f]{40}|[0-9a-f]{64})$',
} as const;

const NO_REVISION = { description: 'No revision: there is none on this side of the change.', type: 'null' } as const;

const DATASET_ID = {
  title: 'DatasetId',
  description: '`owner/name` of a dataset.',
  type: 'string',
  pattern: `^${SEGMENT}/${SEGMENT}$`,
  maxLength: 140,
} as const;

const DATASET = {
  title: 'Dataset',
  description: 'The dataset a change happened to, and where its git repository lives.',
  type: 'object',
  required: ['id', 'owner', 'name', 'backend', 'location'],
  additionalProperties: false,
  properties: {
    id: DATASET_ID,
    owner: { type: 'string', pattern: `^(?!.*\\.\\.)(?!.*\\.git$)${SEGMENT}$`, maxLength: 39 },
    name: { type: 'string', pattern: `^(?!.*\\.\\.)(?!.*\\.git$)${SEGMENT}$`, maxLength: 100 },
    backend: { description: 'The storage backend (`local`, `github`, ...).', type: 'string', minLength: 1 },
    location: { description: 'Where the repository lives on that backend: a URL, or a path relative to the backend (local: `repositories/<owner>/<name>.git` under its data directory); never a path on the server.', type: 'string', minLength: 1 },
  },
} as const;

const ORIGIN = {
  title: 'Origin',
  description: '`api` when Metastore made the change; `sync` when the sync worker found it pushed to the git host directly.',
  type: 'string',
  enum: ['api', 'sync'],
} as const;

const AUTHOR = {
  title: 'Author',
  description: 'A git identity.',
  type: 'object',
  required: ['name', 'email'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, email: { type: 'string' } },
} as const;

const AUTHOR_OR_NULL = { description: 'Who made the change; null when nobody is known.', anyOf: [AUTHOR, { type: 'null' }] } as const;

const MESSAGE = { description: 'The commit message.', type: 'string' } as const;

const NAMES = { type: 'array', items: { type: 'string' }, uniqueItems: true } as const;
const NO_NAMES = { type: 'array', maxItems: 0 } as const;

const CHANGED_PARTS = {
  title: 'ChangedParts',
  description: 'Top-level descriptor fields (other than `resources`) and resources (by name, `#<index>` when unnamed) that differ from the previous revision.',
  type: 'object',
  required: ['fields', 'resources'],
  additionalProperties: false,
  properties: {
    fields: NAMES,
    resources: {
      type: 'object',
      required: ['added', 'removed', 'modified'],
      additionalProperties: false,
      properties: { added: NAMES, removed: NAMES, modified: NAMES },
    },
  },
} as const;

const CHANGED_PARTS_ON_CREATE = {
  title: 'ChangedPartsOnCreate',
  description: 'For a new dataset everything is new: every top-level field, and every resource as added.',
  type: 'object',
  required: ['fields', 'resources'],
  additionalProperties: false,
  properties: {
    fields: NAMES,
    resources: {
      type: 'object',
      required: ['added', 'removed', 'modified'],
      additionalProperties: false,
      properties: { added: NAMES, removed: NO_NAMES, modified: NO_NAMES },
    },
  },
} as const;

const DESCRIPTOR = {
  title: 'Descriptor',
  description: 'The Data Package descriptor (`datapackage.json`) at `newRevision`, parsed.',
  type: 'object',
} as const;

const DESCRIPTOR_TRUNCATED = { description: 'The descriptor was too large to embed; read it at `descriptorUrl`.', const: true } as const;

const DESCRIPTOR_URL = { description: 'Where to read the descriptor at `newRevision` (a Metastore API URL).', type: 'string', format: 'uri' } as const;

const DESCRIPTOR_INVALID = {
  description:
    'The descriptor stored at `newRevision` is not valid JSON or not a JSON object (pushed to the git repository by other means): it is neither embedded nor linked, ' +
    'since reading it answers DESCRIPTOR_INVALID; `changes` compare with an empty descriptor. A later PUT or revert repairs the dataset.',
  const: true,
} as const;

// Exactly one of: the descriptor embedded, the pair saying where to read it, or the mark that it cannot be read. Mixed states fail every branch.
const DESCRIPTOR_EMBEDDED_OR_LINKED = [
  { required: ['descriptor'], not: { anyOf: [{ required: ['descriptorTruncated'] }, { required: ['descriptorUrl'] }, { required: ['descriptorInvalid'] }] } },
  { required: ['descriptorTruncated', 'descriptorUrl'], not: { anyOf: [{ required: ['descriptor'] }, { required: ['descriptorInvalid'] }] } },
  { required: ['descriptorInvalid'], not: { anyOf: [{ required: ['descriptor'] }, { required: ['descriptorTruncated'] }, { required: ['descriptorUrl'] }] } },
] as const;

const TAG = {
  title: 'Tag',
  description: 'An annotated git tag.',
  type: 'object',
  required: ['name', 'target', 'description', 'author', 'createdAt'],
  additionalProperties: false,
  properties: {
    name: { description: 'The tag name (a git ref name below `refs/tags/`; may contain `/`).', type: 'string', minLength: 1 },
    target: REVISION,
    description: { description: 'The tag message.', type: 'string' },
    author: AUTHOR,
    createdAt: { description: 'Tagger time, RFC 3339.', type: 'string', format: 'date-time' },
  },
} as const;

/** The `data` of an event type: the dataset and origin every event names, then the type's own properties, all required but `optional`. */
function eventData<const P extends Readonly<Record<string, object>>>(title: string, description: string, properties: P, optional: readonly (keyof P)[] = []) {
  const all = { dataset: DATASET, origin: ORIGIN, ...properties };
  return {
    title,
    description,
    type: 'object',
    required: Object.keys(all).filter((name) => !optional.includes(name)),
    additionalProperties: false,
    properties: all,
  } as const;
}

/** The `data` of a change that made a commit: revisions, author, message, `changes`, and the descriptor embedded, linked or marked invalid. */
function commitData(
  title: string,
  description: string,
  parts: { readonly oldRevision: object; readonly changes: object; readonly revertedTo?: object; readonly historyRewritten?: object },
) {
  const { oldRevision, changes, revertedTo, historyRewritten } = parts;
  return {
    ...eventData(
      title,
      description,
      {
        oldRevision,
        newRevision: REVISION,
        author: AUTHOR,
        message: MESSAGE,
        changes,
        descriptor: DESCRIPTOR,
        descriptorTruncated: DESCRIPTOR_TRUNCATED,
        descriptorUrl: DESCRIPTOR_URL,
        descriptorInvalid: DESCRIPTOR_INVALID,
        ...(revertedTo ? { revertedTo } : {}),
        ...(historyRewritten ? { historyRewritten } : {}),
      },
      ['message', 'descriptor', 'descriptorTruncated', 'descriptorUrl', 'descriptorInvalid', 'historyRewritten'],
    ),
    oneOf: DESCRIPTOR_EMBEDDED_OR_LINKED,
  } as const;
}

const DATASET_CREATED_DATA = commitData(
  'DatasetCreatedData',
  'A dataset was created with its first revision. `changes` lists every field and resource as new.',
  { oldRevision: NO_REVISION, changes: CHANGED_PARTS_ON_CREATE },
);

const HISTORY_REWRITTEN = {
  description:
    'Present (true) when `oldRevision`, the head last announced, is not an ancestor of `newRevision`: history was rewritten ' +
    '(a force-push, or the repository deleted and made again while the catalog was down). The commits in between are not announced one by one.',
  const: true,
} as const;

const DATASET_UPDATED_DATA = commitData(
  'DatasetUpdatedData',
  'A commit moved the dataset from `oldRevision` to `newRevision` (its first parent), or, with `historyRewritten`, history was rewritten from `oldRevision` to `newRevision`.',
  { oldRevision: REVISION, changes: CHANGED_PARTS, historyRewritten: HISTORY_REWRITTEN },
);

const DATASET_REVERTED_DATA = commitData('DatasetRevertedData', 'A new revision `newRevision` restores the content of the earlier revision `revertedTo`.', {
  oldRevision: REVISION,
  changes: CHANGED_PARTS,
  revertedTo: REVISION,
});

const DATASET_DELETED_DATA = eventData(
  'DatasetDeletedData',
  'The dataset was deleted. `oldRevision` is its last head when the catalog knew it; `author` is null when nobody is known (a deletion the sync worker found).',
  { oldRevision: { anyOf: [REVISION, NO_REVISION] }, newRevision: NO_REVISION, author: AUTHOR_OR_NULL },
);

const TAG_CREATED_DATA = eventData('TagCreatedData', 'A tag was created; `newRevision` is its target.', {
  oldRevision: NO_REVISION,
  newRevision: REVISION,
  author: AUTHOR,
  tag: TAG,
});

const TAG_UPDATED_DATA = eventData(
  'TagUpdatedData',
  'A tag was replaced (moved, or its description changed); `oldRevision` and `newRevision` are its targets before and after, `author` who replaced it.',
  { oldRevision: REVISION, newRevision: REVISION, author: AUTHOR, tag: TAG, previousTag: TAG },
);

const TAG_DELETED_DATA = eventData('TagDeletedData', 'A tag was deleted; `oldRevision` was its target. `author` is null when nobody is known.', {
  oldRevision: REVISION,
  newRevision: NO_REVISION,
  author: AUTHOR_OR_NULL,
  previousTag: TAG,
});

const DATA_BODIES = {
  'dataset.created': DATASET_CREATED_DATA,
  'dataset.updated': DATASET_UPDATED_DATA,
  'dataset.deleted': DATASET_DELETED_DATA,
  'dataset.reverted': DATASET_REVERTED_DATA,
  'tag.created': TAG_CREATED_DATA,
  'tag.updated': TAG_UPDATED_DATA,
  'tag.deleted': TAG_DELETED_DATA,
} as const satisfies Record<EventType, object>;

const ENVELOPE_PROPERTIES = {
  specversion: { description: 'CloudEvents version.', const: '1.0' },
  id: { description: 'Unique per event; consumers de-duplicate on it.', type: 'string', minLength: 1 },
  source: { description: 'The Metastore instance that recorded the event.', type: 'string', minLength: 1, format: 'uri-reference' },
  subject: DATASET_ID,
  time: { description: 'When the change happened (commit or tag time, or when it was noticed), RFC 3339.', type: 'string', format: 'date-time' },
  datacontenttype: { const: 'application/json' },
  dataschema: { description: 'The schema `data` conforms to.', type: 'string', format: 'uri' },
} as const;

const ENVELOPE_REQUIRED = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data'] as const;

const CLOUD_EVENT_ENVELOPE = {
  title: 'CloudEventEnvelope',
  description: 'The CloudEvents 1.0 attributes of every Metastore event (JSON format), with `data` left open.',
  type: 'object',
  required: ENVELOPE_REQUIRED,
  additionalProperties: false,
  properties: {
    ...ENVELOPE_PROPERTIES,
    type: { description: 'The kind of change.', type: 'string', enum: EVENT_TYPES },
    data: { type: 'object' },
  },
} as const;

function dataSchema<T extends EventType>(type: T) {
  return { $schema: DIALECT, $id: `${BASE_URI}${type}.json` as const, ...DATA_BODIES[type] };
}

function eventSchema<T extends EventType>(type: T) {
  return {
    $schema: DIALECT,
    $id: `${BASE_URI}${type}.event.json` as const,
    title: `${type} event`,
    description: `A \`${type}\` event: the CloudEvents envelope with \`data\` as that type defines it.`,
    type: 'object',
    required: ENVELOPE_REQUIRED,
    additionalProperties: false,
    properties: {
      ...ENVELOPE_PROPERTIES,
      type: { const: type },
      dataschema: { description: 'The schema `data` conforms to.', const: `${BASE_URI}${type}.json` as const },
      data: DATA_BODIES[type],
    },
  } as const;
}

/** The JSON Schema (draft 2020-12) of the `data` of each event type; its `$id` is what a CloudEvents `dataschema` names. */
export const EVENT_DATA_SCHEMAS = {
  'dataset.created': dataSchema('dataset.created'),
  'dataset.updated': dataSchema('dataset.updated'),
  'dataset.deleted': dataSchema('dataset.deleted'),
  'dataset.reverted': dataSchema('dataset.reverted'),
  'tag.created': dataSchema('tag.created'),
  'tag.updated': dataSchema('tag.updated'),
  'tag.deleted': dataSchema('tag.deleted'),
} as const satisfies Record<EventType, object>;

/** The JSON Schema (draft 2020-12) of a whole event of each type: envelope, `type` fixed, `data` as the type defines it. Each is self-contained. */
export const EVENT_SCHEMAS = {
  'dataset.created': eventSchema('dataset.created'),
  'dataset.updated': eventSchema('dataset.updated'),
  'dataset.deleted': eventSchema('dataset.deleted'),
  'dataset.reverted': eventSchema('dataset.reverted'),
  'tag.created': eventSchema('tag.created'),
  'tag.updated': eventSchema('tag.updated'),
  'tag.deleted': eventSchema('tag.deleted'),
} as const satisfies Record<EventType, object>;

/** The JSON Schema (draft 2020-12) of any Metastore event: the CloudEvents envelope, with `data` checked against the schema of the event's `type`. */
export const EVENT_ENVELOPE_SCHEMA = {
  $schema: DIALECT,
  $id: `${BASE_URI}envelope.json`,
  title: 'MetastoreEvent',
  description: 'Any Metastore event: the CloudEvents envelope, with `data` as its `type` defines it.',
  type: 'object',
  allOf: [
    CLOUD_EVENT_ENVELOPE,
    ...EVENT_TYPES.map((type) => ({
      if: { properties: { type: { const: type } }, required: ['type'] },
      then: { properties: { dataschema: { const: `${BASE_URI}${type}.json` }, data: DATA_BODIES[type] } },
    })),
  ],
} as const;

/** The schema of a whole event of `type` (see {@link EVENT_SCHEMAS}). */
export function eventSchemaFor<T extends EventType>(type: T): (typeof EVENT_SCHEMAS)[T] {
  return EVENT_SCHEMAS[type];
}

/** The named parts the schemas share, by component name (their `title`): documents that reference schemas by name (AsyncAPI) define each once. */
export const EVENT_SCHEMA_COMPONENTS: Readonly<Record<string, object>> = Object.fromEntries(
  [
    REVISION,
    DATASET_ID,
    DATASET,
    ORIGIN,
    AUTHOR,
    CHANGED_PARTS,
    CHANGED_PARTS_ON_CREATE,
    DESCRIPTOR,
    TAG,
    DATASET_CREATED_DATA,
    DATASET_UPDATED_DATA,
    DATASET_DELETED_DATA,
    DATASET_REVERTED_DATA,
    TAG_CREATED_DATA,
    TAG_UPDATED_DATA,
    TAG_DELETED_DATA,
    CLOUD_EVENT_ENVELOPE,
    EVENT_ENVELOPE_SCHEMA,
  ].map((schema) => [schema.title, schema]),
);
