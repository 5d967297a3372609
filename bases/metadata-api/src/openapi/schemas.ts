/** JSON Schemas (2020-12) of the API's bodies and parameters: validated at runtime and published in /openapi.json. */
import { descriptorCodesMarkdown } from '@metastore/datasets';
import { FULL_SHA_PATTERN } from '@metastore/storage';

const SHA = {
  type: 'string',
  pattern: FULL_SHA_PATTERN,
  description: 'A full git commit sha (40 hex digits, or 64 for SHA-256).',
} as const;
const REF = {
  type: 'string',
  minLength: 1,
  'x-git-ref': true,
  description:
    'A revision sha (full or abbreviated), a tag name or a branch name: a git ref name (git check-ref-format) of at most 255 bytes of UTF-8, ' +
    'without control characters, Unicode format characters (bidi overrides, zero-width characters) or whitespace (`x-git-ref`; 400 VALIDATION_FAILED otherwise).',
} as const;
/** A ref as a query parameter (`ref`): the head when absent. */
const REF_PARAMETER = {
  ...REF,
  description:
    'A revision sha (full or abbreviated), tag or branch; the head when absent. A git ref name of at most 255 bytes of UTF-8 without control, format or whitespace characters (400 VALIDATION_FAILED otherwise).',
} as const;
const MESSAGE = { type: 'string', minLength: 1, maxLength: 10000, description: 'The commit message.' } as const;
const AUTHOR_TEXT = {
  type: 'string',
  maxLength: 300,
  pattern: '^[^<>]+<[^<>\\s]+@[^<>\\s]+>\\s*$',
  description:
    "The author as `Name <email>`; defaults to the caller. The rules of `Author` apply (no control characters, no '<' or '>' in the name).",
} as const;

export const authorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email'],
  description:
    "A git identity. Neither part may contain '<', '>', control characters (line breaks), Unicode line separators or bidi controls: they would corrupt or spoof the commit's header (400 VALIDATION_FAILED).",
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    email: { type: 'string', format: 'email', maxLength: 254 },
  },
} as const;

export const createDatasetBody = {
  type: 'object',
  additionalProperties: false,
  required: ['owner', 'name', 'descriptor'],
  properties: {
    owner: {
      type: 'string',
      description: "Organisation or user namespace: lowercase letters, digits, '-', '_', '.'; at most 39 characters.",
    },
    name: { type: 'string', description: "Dataset name: lowercase letters, digits, '-', '_', '.'; at most 100 characters." },
    descriptor: { type: 'object', description: 'A Frictionless Data Package descriptor (v1 or v2).' },
    message: MESSAGE,
    author: authorSchema,
  },
} as const;

export const revertBody = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: { to: REF, message: MESSAGE, author: authorSchema },
} as const;

export const createTagBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      description:
        'A git ref name of at most 200 bytes of UTF-8, e.g. `v1.0` or `release/2024-01`. Refused (400 VALIDATION_FAILED): what git check-ref-format refuses, ' +
        "control, Unicode format (bidi overrides, zero-width) and whitespace characters, `HEAD` and other pseudo-refs, names starting with `refs/`, `heads/`, `tags/`, `remotes/` or '-', and 40- or 64-digit hex names.",
    },
    ref: { ...REF, description: 'What to tag; the head when absent.' },
    description: { type: 'string', maxLength: 65536, description: 'The tag message.' },
    author: authorSchema,
  },
} as const;

export const updateTagBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: 'string', maxLength: 65536 },
    ref: { ...REF, description: 'Move the tag to this revision (requires `force`).' },
    force: { type: 'boolean', default: false, description: 'Allow moving the tag to another revision.' },
    author: authorSchema,
  },
} as const;

const LIMIT = { type: 'integer', minimum: 1, maximum: 100, default: 20 } as const;
const CURSOR = { type: 'string', minLength: 1, maxLength: 256, description: "The previous page's `nextCursor`." } as const;

export const pageQuery = {
  type: 'object',
  properties: { limit: LIMIT, cursor: CURSOR },
} as const;

export const revisionsQuery = {
  type: 'object',
  properties: { limit: LIMIT, cursor: CURSOR, ref: REF_PARAMETER },
} as const;

export const listDatasetsQuery = {
  type: 'object',
  properties: {
    owner: { type: 'string', minLength: 1, maxLength: 39 },
    q: {
      type: 'string',
      minLength: 1,
      maxLength: 500,
      description:
        'Full-text query over title, description and keywords (web-search syntax: words, "phrases", -exclusions, or); U+0000 is refused (400).',
    },
    keyword: { type: 'string', minLength: 1, maxLength: 200, description: 'Only datasets with this keyword.' },
    updatedSince: {
      type: 'string',
      format: 'date-time',
      description: 'Only datasets whose head revision is at or after this time (RFC 3339, from 0001-01-01T00:00:00Z; 400 otherwise).',
    },
    limit: LIMIT,
    cursor: { ...CURSOR, maxLength: 1024 },
  },
} as const;

export const eventsQuery = {
  type: 'object',
  properties: {
    owner: {
      type: 'string',
      description:
        "Only the events of this owner's datasets (an owner by the dataset-id rules: lowercase letters, digits, '-', '_', '.'). Needs read on every dataset of the owner.",
    },
    after: {
      type: 'string',
      pattern: '^(0|[1-9][0-9]{0,18})$',
      description: 'The sequence of the last event already seen (0 or absent: from the oldest kept).',
    },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

export const refQuery = {
  type: 'object',
  properties: { ref: REF_PARAMETER },
} as const;

const STRICT = {
  type: 'boolean',
  description:
    "Refuse the common v1 forms otherwise accepted with a warning (the `lenient` codes of a descriptor finding). Unset: the server's `METASTORE_STRICT_VALIDATION` (false by default).",
} as const;

export const writeQuery = {
  type: 'object',
  properties: { message: MESSAGE, author: AUTHOR_TEXT, strict: STRICT },
} as const;

export const validateQuery = {
  type: 'object',
  properties: { strict: STRICT },
} as const;

/** The codes a descriptor finding may carry, as the datasets component declares them. */
const DESCRIPTOR_CODES_TABLE = `Stable codes of descriptor findings (\`error\`: refused; \`lenient\`: a common v1 form, a warning unless strict, then an error; \`warning\`: never refused):\n\n${descriptorCodesMarkdown()}`;

/** One finding in a descriptor: an error (in a problem's `errors`, or a validation report) or a warning. */
export const descriptorIssueSchema = {
  type: 'object',
  required: ['pointer', 'code', 'message'],
  description: DESCRIPTOR_CODES_TABLE,
  properties: {
    pointer: { type: 'string', description: 'JSON pointer (RFC 6901) into the descriptor.' },
    code: {
      type: 'string',
      description: 'Stable machine-readable code (see the table above).',
      examples: ['ENUM', 'LEGACY_URL_PROPERTY', 'NO_PROFILE'],
    },
    rule: {
      type: 'string',
      description:
        'The rule broken: `<profile URL>#<schema path>` for a profile keyword (e.g. `https://datapackage.org/profiles/1.0/tableschema.json#/properties/fields/items/oneOf/1/properties/format/enum`), `metastore:<rule>` for a rule of Metastore.',
    },
    message: { type: 'string', description: 'What is wrong and what is allowed.' },
  },
} as const;

/** What `POST /validate` answers: what a write of the descriptor would (its errors would refuse it; its warnings come back). */
export const validationReportSchema = {
  type: 'object',
  required: ['valid', 'version', 'profile', 'errors', 'warnings'],
  properties: {
    valid: { type: 'boolean', description: 'True when a write would accept the descriptor (no errors).' },
    version: { enum: ['1.0', '2.0'], description: 'The Data Package version it was validated as.' },
    profile: {
      type: 'string',
      description: '`data-package`, `tabular-data-package`, or the custom profile URL (checked as its base profile).',
    },
    strict: { type: 'boolean', description: 'Whether strict validation applied.' },
    errors: { type: 'array', items: descriptorIssueSchema },
    warnings: { type: 'array', items: descriptorIssueSchema },
  },
} as const;

export const diffQuery = {
  type: 'object',
  required: ['from'],
  properties: {
    from: { ...REF, description: 'A ref, as `ref` elsewhere.' },
    to: { ...REF, description: 'A ref, as `ref` elsewhere; defaults to the head.' },
  },
} as const;

export const revisionSchema = {
  type: 'object',
  required: ['sha', 'parents', 'message', 'author', 'timestamp'],
  properties: {
    sha: SHA,
    parents: { type: 'array', items: SHA },
    message: { type: 'string' },
    author: authorSchema,
    timestamp: { type: 'string', format: 'date-time' },
  },
} as const;

export const tagSchema = {
  type: 'object',
  required: ['name', 'target', 'description', 'author', 'createdAt'],
  properties: {
    name: { type: 'string' },
    target: SHA,
    description: { type: 'string' },
    author: authorSchema,
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const warningSchema = {
  type: 'object',
  required: ['pointer', 'code', 'message'],
  description: 'A descriptor finding that did not refuse the write (codes: see `errors` of Problem).',
  properties: {
    pointer: { type: 'string', description: 'JSON pointer into the descriptor.' },
    code: { type: 'string', examples: ['MISSING_LICENSES', 'NO_PROFILE', 'LEGACY_URL_PROPERTY', 'LFS_POINTER_SKIPPED'] },
    rule: { type: 'string', description: '`<profile URL>#<schema path>` or `metastore:<rule>`.' },
    message: { type: 'string' },
  },
} as const;

export const writeResultSchema = {
  type: 'object',
  required: ['id', 'revision', 'changed', 'warnings'],
  properties: {
    id: { type: 'string', description: '`owner/name`' },
    revision: revisionSchema,
    changed: { type: 'boolean', description: 'False when the content was already identical: no commit was made.' },
    warnings: { type: 'array', items: warningSchema },
    revertedTo: { ...SHA, description: 'Reverts only: the revision whose content was restored.' },
  },
} as const;

export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: {
      type: 'string',
      description: 'Stable machine-readable code.',
      enum: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'INVALID_URL',
        'JSON_TOO_DEEP',
        'INVALID_CONTENT_ENCODING',
        'DATASET_NOT_FOUND',
        'REF_NOT_FOUND',
        'REVISION_NOT_FOUND',
        'RESOURCE_NOT_FOUND',
        'TAG_NOT_FOUND',
        'ROUTE_NOT_FOUND',
        'DATASET_ALREADY_EXISTS',
        'TAG_ALREADY_EXISTS',
        'TAG_MOVE_REQUIRES_FORCE',
        'REVISION_CONFLICT',
        'PRECONDITION_FAILED',
        'DESCRIPTOR_INVALID',
        'PAYLOAD_TOO_LARGE',
        'UNSUPPORTED_MEDIA_TYPE',
        'CONFIGURATION_INVALID',
        'INTERNAL_ERROR',
        'STORAGE_UNAVAILABLE',
        'UNAUTHENTICATED',
        'FORBIDDEN',
        'RATE_LIMITED',
        'TOKEN_MINTING_UNAVAILABLE',
        'WEBHOOK_UNVERIFIED',
      ],
    },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Every validation error, each located by a JSON pointer into the input; one per cause.',
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        description: `An error in a descriptor also has \`code\` and \`rule\`. ${DESCRIPTOR_CODES_TABLE}`,
        properties: {
          pointer: { type: 'string' },
          code: { type: 'string', description: 'Stable machine-readable code of a descriptor error (see the table above).' },
          rule: { type: 'string', description: '`<profile URL>#<schema path>` or `metastore:<rule>`.' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const diffSchema = {
  type: 'object',
  required: ['from', 'to', 'patch', 'summary'],
  properties: {
    from: SHA,
    to: SHA,
    patch: {
      type: 'array',
      description: 'RFC 6902 JSON Patch from the `from` descriptor to the `to` descriptor.',
      items: {
        type: 'object',
        required: ['op', 'path'],
        properties: {
          op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
          path: { type: 'string' },
          from: { type: 'string' },
          value: {},
        },
      },
    },
    summary: {
      type: 'object',
      required: ['resourcesAdded', 'resourcesRemoved', 'resourcesChanged', 'fieldsChanged'],
      properties: {
        resourcesAdded: { type: 'array', items: { type: 'string' } },
        resourcesRemoved: { type: 'array', items: { type: 'string' } },
        resourcesChanged: { type: 'array', items: { type: 'string' } },
        fieldsChanged: { type: 'array', items: { type: 'string' }, description: 'Top-level properties other than resources.' },
      },
    },
  },
} as const;

/** Longest life of a minted token, in seconds: scoped tokens are for CI jobs and bots, and short-lived. */
export const MAX_SCOPED_TOKEN_SECONDS = 24 * 3600;

export const mintTokenBody = {
  type: 'object',
  required: ['owner', 'actions'],
  additionalProperties: false,
  properties: {
    owner: {
      type: 'string',
      minLength: 1,
      maxLength: 39,
      description: "An owner, by the dataset-id rules (lowercase letters, digits, '-', '_', '.'; no wildcards, spaces or colons).",
    },
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      description: 'Restrict the token to this dataset, by the dataset-id rules (else: every dataset of the owner).',
    },
    actions: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['read', 'write', 'tag', 'delete', 'admin'] } },
    actor: {
      type: 'string',
      minLength: 1,
      maxLength: 39,
      default: 'minted-token',
      description:
        "Who will use the token, e.g. the CI job `ci-nightly` (named like an owner). The token's subject stays the caller's; " +
        'the actor is recorded as its RFC 8693 `act` claim and writes as `<actor> (on behalf of <caller>) <actor@tokens.metastore.invalid>`.',
    },
    expiresIn: {
      type: 'integer',
      minimum: 60,
      maximum: MAX_SCOPED_TOKEN_SECONDS,
      default: 3600,
      description: `Lifetime in seconds (at most ${MAX_SCOPED_TOKEN_SECONDS / 3600} hours).`,
    },
  },
} as const;

export const mintTokenResult = {
  type: 'object',
  required: ['token', 'tokenId', 'expiresAt', 'scopes', 'subject', 'actor'],
  properties: {
    token: { type: 'string', description: 'The JWT (shown once). Its claims: `sub`, `act: {sub}`, and `scopes`, a JSON array.' },
    tokenId: { type: 'string', description: 'Its `jti`, for revocation.' },
    expiresAt: { type: 'string', format: 'date-time' },
    scopes: {
      type: 'array',
      items: { type: 'string' },
      description: 'One `obj:{owner}/{name}:{action}` per item (never joined with spaces).',
    },
    subject: { type: 'string', description: "The token's subject: the caller, on whose behalf it acts." },
    actor: { type: 'string', description: 'Who acts with it (`act.sub`).' },
  },
} as const;

export const revokeTokenBody = {
  type: 'object',
  required: ['token'],
  additionalProperties: false,
  properties: { token: { type: 'string', minLength: 1, maxLength: 8192 } },
} as const;
