// The schema parts event types share. Every schema keeps to the keywords draft-07 and draft 2020-12 share (no `$defs`,
// `unevaluatedProperties`, `dependentRequired`), so the same objects serve as 2020-12 schemas and as AsyncAPI 3.0 Schema
// Objects (a draft-07 superset). Shared parts are reused by identity: `asyncApiEvents` turns each titled one into one named component.

/** The JSON Schema dialect of every event schema. */
export const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** Where event schemas are named: `<BASE_URI><type>.json` is the `data` schema of `type`. */
export const BASE_URI = 'https://metastore.dev/schemas/events/';
const SEGMENT = '[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?';

/** A full git commit sha. */
export const REVISION = {
  title: 'Revision',
  description: 'A full git commit sha: 40 lowercase hex digits (SHA-1) or 64 (SHA-256).',
  type: 'string',
  pattern: '^(?:[0-9a-f]{40}|[0-9a-f]{64})$',
} as const;

/** No revision on this side of the change. */
export const NO_REVISION = { description: 'No revision: there is none on this side of the change.', type: 'null' } as const;

/** `owner/name` of a dataset. */
export const DATASET_ID = {
  title: 'DatasetId',
  description: '`owner/name` of a dataset.',
  type: 'string',
  pattern: `^${SEGMENT}/${SEGMENT}$`,
  maxLength: 140,
} as const;

/** The dataset a change happened to. */
export const DATASET = {
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
    location: {
      description:
        'Where the repository lives on that backend: a URL, or a path relative to the backend (local: `repositories/<owner>/<name>.git` under its data directory); never a path on the server.',
      type: 'string',
      minLength: 1,
    },
  },
} as const;

/** Who noticed the change: `api` or `sync`. */
export const ORIGIN = {
  title: 'Origin',
  description: '`api` when Metastore made the change; `sync` when the sync worker found it pushed to the git host directly.',
  type: 'string',
  enum: ['api', 'sync'],
} as const;

/** A git identity. */
export const AUTHOR = {
  title: 'Author',
  description: 'A git identity.',
  type: 'object',
  required: ['name', 'email'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, email: { type: 'string' } },
} as const;

/** An author, or null when nobody is known. */
export const AUTHOR_OR_NULL = {
  description: 'Who made the change; null when nobody is known.',
  anyOf: [AUTHOR, { type: 'null' }],
} as const;

/** The commit message. */
export const MESSAGE = { description: 'The commit message.', type: 'string' } as const;

const NAMES = { type: 'array', items: { type: 'string' }, uniqueItems: true } as const;
const NO_NAMES = { type: 'array', maxItems: 0 } as const;

// `changes` of an event: which top-level fields and resources differ; `resources` narrows what may be removed or modified.
function changedParts<const R extends object, const M extends object>(title: string, description: string, removed: R, modified: M) {
  return {
    title,
    description,
    type: 'object',
    required: ['fields', 'resources'],
    additionalProperties: false,
    properties: {
      fields: NAMES,
      resources: {
        type: 'object',
        required: ['added', 'removed', 'modified'],
        additionalProperties: false,
        properties: { added: NAMES, removed, modified },
      },
    },
  } as const;
}

/** Changed fields and resources. */
export const CHANGED_PARTS = changedParts(
  'ChangedParts',
  'Top-level descriptor fields (other than `resources`) and resources (by name, `#<index>` when unnamed) that differ from the previous revision.',
  NAMES,
  NAMES,
);

/** Changed fields and resources of a new dataset: everything added. */
export const CHANGED_PARTS_ON_CREATE = changedParts(
  'ChangedPartsOnCreate',
  'For a new dataset everything is new: every top-level field, and every resource as added.',
  NO_NAMES,
  NO_NAMES,
);

/** The parsed descriptor. */
export const DESCRIPTOR = {
  title: 'Descriptor',
  description: 'The Data Package descriptor (`datapackage.json`) at `newRevision`, parsed.',
  type: 'object',
} as const;

const DESCRIPTOR_TRUNCATED = { description: 'The descriptor was too large to embed; read it at `descriptorUrl`.', const: true } as const;

const DESCRIPTOR_URL = {
  description: 'Where to read the descriptor at `newRevision` (a Metastore API URL).',
  type: 'string',
  format: 'uri',
} as const;

const DESCRIPTOR_INVALID = {
  description:
    'The descriptor stored at `newRevision` is not valid JSON or not a JSON object (pushed to the git repository by other means): it is neither embedded nor linked, ' +
    'since reading it answers DESCRIPTOR_INVALID; `changes` compare with an empty descriptor. A later PUT or revert repairs the dataset.',
  const: true,
} as const;

// Exactly one of: the descriptor embedded, the pair saying where to read it, or the mark that it cannot be read. Mixed states fail every
// branch.
const DESCRIPTOR_EMBEDDED_OR_LINKED = [
  {
    required: ['descriptor'],
    not: { anyOf: [{ required: ['descriptorTruncated'] }, { required: ['descriptorUrl'] }, { required: ['descriptorInvalid'] }] },
  },
  {
    required: ['descriptorTruncated', 'descriptorUrl'],
    not: { anyOf: [{ required: ['descriptor'] }, { required: ['descriptorInvalid'] }] },
  },
  {
    required: ['descriptorInvalid'],
    not: { anyOf: [{ required: ['descriptor'] }, { required: ['descriptorTruncated'] }, { required: ['descriptorUrl'] }] },
  },
] as const;

/** An annotated git tag. */
export const TAG = {
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
export function eventData<const P extends Readonly<Record<string, object>>>(
  title: string,
  description: string,
  properties: P,
  optional: readonly (keyof P)[] = [],
) {
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

/**
 * The `data` of a change that made a commit: revisions, author, message, `changes`, and the descriptor embedded, linked or marked invalid.
 */
export function commitData(
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

/** The titled parts shared by several event types, in the order documents list them (AsyncAPI components). */
export const SHARED_SCHEMA_PARTS = [
  REVISION,
  DATASET_ID,
  DATASET,
  ORIGIN,
  AUTHOR,
  CHANGED_PARTS,
  CHANGED_PARTS_ON_CREATE,
  DESCRIPTOR,
  TAG,
] as const;
