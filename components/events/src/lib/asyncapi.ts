import { ConfigurationError } from '@metastore/errors';
import { DEFAULT_MAX_DESCRIPTOR_BYTES, eventFromChange, type EventBuilderOptions } from './event.builder';
import { EVENT_TYPES, type DatasetChange, type DescriptorObject, type EventType } from './event.model';
import { EVENT_DATA_SCHEMAS, EVENT_ENVELOPE_SCHEMA, EVENT_SCHEMA_COMPONENTS, EVENT_SCHEMAS } from './event.schemas';

/** A JSON object as it appears in the document. */
type JsonObject = { readonly [key: string]: unknown };

/** What the AsyncAPI description is generated for: the stream keys and broker a deployment uses. */
export interface AsyncApiOptions {
  /** The Redis stream events are appended to (`metastore:events` by default in the relay). */
  readonly streamKey: string;
  /** The stream entries go to after failing too often (`<streamKey>:dead` by convention). */
  readonly deadLetterKey: string;
  /** `redis://host:port[/db]` or `rediss://...`; credentials in it are never copied into the document. Default `redis://localhost:6379`. */
  readonly serverUrl?: string;
  readonly title?: string;
  /** Version of this description (AsyncAPI `info.version`). */
  readonly version?: string;
}

/** One example of a message: the stream entry's fields and the event in its `event` field. */
export interface AsyncApiMessageExample {
  readonly name: string;
  readonly summary: string;
  readonly headers: JsonObject;
  readonly payload: JsonObject;
}

/** An AsyncAPI 3.0 Message Object as this module writes it. */
export interface AsyncApiMessage {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly description: string;
  readonly contentType: string;
  readonly headers: JsonObject;
  readonly payload: JsonObject;
  readonly examples: readonly AsyncApiMessageExample[];
}

/** An AsyncAPI 3.0.0 document, as plain JSON. */
export interface AsyncApiDocument {
  readonly asyncapi: '3.0.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly defaultContentType: string;
  readonly servers: Readonly<Record<string, JsonObject>>;
  readonly channels: Readonly<Record<string, JsonObject>>;
  readonly operations: Readonly<Record<string, JsonObject>>;
  readonly components: { readonly schemas: Readonly<Record<string, JsonObject>>; readonly messages: Readonly<Record<string, AsyncApiMessage>> };
}

const CONTENT_TYPE = 'application/cloudevents+json';
const SCHEMAS = '#/components/schemas/';

const SEQUENCE = {
  title: 'Sequence',
  description: "The event's position in the outbox: a decimal integer, growing with every event recorded. Replay the HTTP feed after it.",
  type: 'string',
  pattern: '^(?:0|[1-9][0-9]*)$',
} as const;

const STREAM_ENTRY_FIELDS = {
  title: 'StreamEntryFields',
  description:
    'The fields of a stream entry beside `event` (which holds the payload, the CloudEvent as JSON), so consumers can route or skip entries without parsing it. Consumers ignore fields they do not know.',
  type: 'object',
  required: ['id', 'type', 'subject', 'sequence'],
  properties: {
    id: { description: 'The event `id`.', type: 'string', minLength: 1 },
    type: { description: 'The event `type`.', type: 'string', enum: EVENT_TYPES },
    subject: { description: 'The event `subject` (`owner/name`).', type: 'string' },
    sequence: SEQUENCE,
  },
} as const;

const DEAD_LETTER_FIELDS = {
  title: 'DeadLetterFields',
  description: 'A dead-lettered entry: the original entry fields (its `event` field is the payload, copied as it was), and why it was given up.',
  allOf: [
    STREAM_ENTRY_FIELDS,
    {
      type: 'object',
      required: ['error', 'deliveries', 'consumer', 'group', 'streamId'],
      properties: {
        error: { description: 'The last error handling the entry.', type: 'string' },
        deliveries: { description: 'How many times it was delivered (decimal).', type: 'string', pattern: '^[1-9][0-9]*$' },
        consumer: { description: 'The consumer that gave up on it.', type: 'string' },
        group: { description: 'The consumer group it was read in.', type: 'string' },
        streamId: { description: 'Its entry id in the events stream.', type: 'string' },
      },
    },
  ],
} as const;

const EVENT_FEED_PAGE = {
  title: 'EventFeedPage',
  description: 'A page of `GET /api/v1/events?after=<sequence>&limit=<1..1000>`: events after `after`, in sequence order. Ask again with `after=nextCursor` until it is null.',
  type: 'object',
  required: ['items', 'nextCursor'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sequence', 'event'],
        additionalProperties: false,
        properties: { sequence: SEQUENCE, event: EVENT_ENVELOPE_SCHEMA },
      },
    },
    nextCursor: { anyOf: [SEQUENCE, { type: 'null' }] },
  },
} as const;

/** Every schema the document names, and its name. */
const COMPONENTS: Readonly<Record<string, object>> = {
  ...EVENT_SCHEMA_COMPONENTS,
  Sequence: SEQUENCE,
  StreamEntryFields: STREAM_ENTRY_FIELDS,
  DeadLetterFields: DEAD_LETTER_FIELDS,
  EventFeedPage: EVENT_FEED_PAGE,
};
const NAMES = new Map<object, string>(Object.entries(COMPONENTS).map(([name, schema]) => [schema, name]));

/**
 * A copy of `schema` in which every named part (by identity) is a `$ref` to its component. `$schema` and `$id`
 * are dropped: under JSON Schema an `$id` would rebase the `#/components/...` references inside it.
 */
function referencing(schema: object): JsonObject {
  const visit = (node: unknown, root: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item, false));
    if (typeof node !== 'object' || node === null) return node;
    const name = root ? undefined : NAMES.get(node);
    if (name !== undefined) return { $ref: `${SCHEMAS}${name}` };
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key]) => !(root && (key === '$schema' || key === '$id')))
        .map(([key, value]) => [key, visit(value, false)]),
    );
  };
  return visit(schema, true) as JsonObject;
}

const MESSAGES: Readonly<Record<EventType, { readonly key: string; readonly title: string; readonly summary: string }>> = {
  'dataset.created': { key: 'datasetCreated', title: 'Dataset created', summary: 'A dataset was created with its first revision.' },
  'dataset.updated': { key: 'datasetUpdated', title: 'Dataset updated', summary: 'A commit changed a dataset.' },
  'dataset.deleted': { key: 'datasetDeleted', title: 'Dataset deleted', summary: 'A dataset was deleted.' },
  'dataset.reverted': { key: 'datasetReverted', title: 'Dataset reverted', summary: "A new revision restored an earlier revision's content." },
  'tag.created': { key: 'tagCreated', title: 'Tag created', summary: 'A tag was created on a revision.' },
  'tag.updated': { key: 'tagUpdated', title: 'Tag updated', summary: 'A tag was moved or its description changed.' },
  'tag.deleted': { key: 'tagDeleted', title: 'Tag deleted', summary: 'A tag was deleted.' },
};

const REVISIONS = {
  first: '3f1c9a7e5b2d4c6e8a0b1d3f5e7c9a1b3d5f7e9c',
  second: '8e2b4d6f0a1c3e5b7d9f1a3c5e7b9d0f2a4c6e8b',
  third: 'c0ffee5a1b2c3d4e5f60718293a4b5c6d7e8f901',
  revert: 'a7d3f9e1c5b7092e4f6a8c0d2e4f6a8b0c2d4e6f',
  rewritten: '5b9e2c7a1d3f4e6b8a0c2e4d6f8a1b3c5e7d9f02',
  invalid: 'e4a1c3b5d7f9021436587a9bcbdef01234567890',
};
const ADA = { name: 'Ada Lovelace', email: 'ada@example.org' };
const GRACE = { name: 'Grace Hopper', email: 'grace@example.org' };
const DATASET = { id: { owner: 'acme', name: 'rainfall' }, backend: 'github', location: 'https://github.com/acme/rainfall' };

const STATIONS = {
  name: 'stations',
  path: 'data/stations.csv',
  format: 'csv',
  mediatype: 'text/csv',
  bytes: 48213,
  hash: 'sha256:9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f',
};
const FIRST_DESCRIPTOR: DescriptorObject = {
  name: 'rainfall',
  title: 'Daily rainfall',
  licenses: [{ name: 'CC-BY-4.0' }],
  resources: [STATIONS],
};
const SECOND_DESCRIPTOR: DescriptorObject = {
  ...FIRST_DESCRIPTOR,
  title: 'Daily rainfall, 1961 to today',
  version: '1.1.0',
  resources: [
    { ...STATIONS, bytes: 48977, hash: 'sha256:1a3c5e7b9d0f2a4c6e8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a' },
    { name: 'readings', path: 'data/readings.parquet', format: 'parquet', bytes: 73400320 },
  ],
};
const TAG_V1 = { name: 'v1.0', target: REVISIONS.first, description: 'First release', author: ADA, createdAt: '2025-03-14T09:40:00.000Z' };
const TAG_V1_MOVED = { ...TAG_V1, target: REVISIONS.second, author: GRACE };

interface Example {
  readonly name: string;
  readonly summary: string;
  readonly sequence: string;
  readonly change: DatasetChange;
  readonly maxDescriptorBytes?: number;
}

const EXAMPLES: Readonly<Record<EventType, readonly Example[]>> = {
  'dataset.created': [
    {
      name: 'created',
      summary: 'Created through the API; the descriptor is embedded.',
      sequence: '1041',
      change: {
        type: 'dataset.created',
        ...DATASET,
        time: new Date('2025-03-14T09:26:53Z'),
        author: ADA,
        message: 'Create acme/rainfall',
        newRevision: REVISIONS.first,
        descriptorSource: JSON.stringify(FIRST_DESCRIPTOR, null, 2),
        origin: 'api',
      },
    },
  ],
  'dataset.updated': [
    {
      name: 'updated',
      summary: 'A resource changed and one was added.',
      sequence: '1057',
      change: {
        type: 'dataset.updated',
        ...DATASET,
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
        type: 'dataset.updated',
        ...DATASET,
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
        type: 'dataset.updated',
        ...DATASET,
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
      summary: 'Pushed to the git host directly with a datapackage.json that is not valid JSON: marked invalid, neither embedded nor linked (a PUT or revert repairs it).',
      sequence: '1061',
      change: {
        type: 'dataset.updated',
        ...DATASET,
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
  'dataset.reverted': [
    {
      name: 'reverted',
      summary: 'The first revision restored.',
      sequence: '1063',
      change: {
        type: 'dataset.reverted',
        ...DATASET,
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
  'dataset.deleted': [
    {
      name: 'deleted',
      summary: 'Deleted through the API.',
      sequence: '1102',
      change: { type: 'dataset.deleted', ...DATASET, time: new Date('2025-05-01T12:00:00Z'), author: ADA, oldRevision: REVISIONS.revert, origin: 'api' },
    },
    {
      name: 'deletedFoundBySync',
      summary: 'The repository disappeared from the git host; nobody is known to have deleted it.',
      sequence: '1103',
      change: { type: 'dataset.deleted', id: { owner: 'acme', name: 'snowfall' }, backend: 'github', location: 'https://github.com/acme/snowfall', time: new Date('2025-05-01T12:03:10Z'), origin: 'sync' },
    },
  ],
  'tag.created': [
    {
      name: 'tagCreated',
      summary: 'A release tag.',
      sequence: '1044',
      change: { type: 'tag.created', ...DATASET, time: new Date(TAG_V1.createdAt), author: ADA, newRevision: TAG_V1.target, tag: TAG_V1, origin: 'api' },
    },
  ],
  'tag.updated': [
    {
      name: 'tagMoved',
      summary: 'The tag moved to a later revision (with `force`).',
      sequence: '1060',
      change: {
        type: 'tag.updated',
        ...DATASET,
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
  'tag.deleted': [
    {
      name: 'tagDeleted',
      summary: 'The tag was deleted.',
      sequence: '1071',
      change: { type: 'tag.deleted', ...DATASET, time: new Date('2025-04-10T07:45:00Z'), oldRevision: TAG_V1_MOVED.target, previousTag: TAG_V1_MOVED, origin: 'api' },
    },
  ],
};

function exampleOf(example: Example, index: number): AsyncApiMessageExample {
  const options: EventBuilderOptions = {
    source: 'urn:metastore:example',
    maxDescriptorBytes: example.maxDescriptorBytes ?? DEFAULT_MAX_DESCRIPTOR_BYTES,
    descriptorUrl: (id, revision) => `https://metastore.example.org/api/v1/datasets/${id.owner}/${id.name}?ref=${revision}`,
    newId: () => `5f0e6c1a-9b7d-4e2f-8a3c-${String(index).padStart(12, '0')}`,
  };
  const event = eventFromChange(example.change, options);
  return {
    name: example.name,
    summary: example.summary,
    headers: { id: event.id, type: event.type, subject: event.subject, sequence: example.sequence },
    payload: JSON.parse(JSON.stringify(event)) as JsonObject,
  };
}

function messageOf(type: EventType, examples: readonly AsyncApiMessageExample[]): AsyncApiMessage {
  const { title, summary } = MESSAGES[type];
  return {
    name: type,
    title,
    summary,
    description: `One stream entry whose \`type\` field is \`${type}\`; its \`event\` field holds the CloudEvent (JSON format) described by the payload, whose \`data\` is \`${EVENT_DATA_SCHEMAS[type].title}\`.`,
    contentType: CONTENT_TYPE,
    headers: { allOf: [{ $ref: `${SCHEMAS}StreamEntryFields` }, { type: 'object', properties: { type: { const: type } } }] },
    payload: referencing(EVENT_SCHEMAS[type]),
    examples,
  };
}

function redisServer(serverUrl: string): JsonObject {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new ConfigurationError('the AsyncAPI server URL is not a URL');
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigurationError('the AsyncAPI server URL must be a redis:// or rediss:// URL with a host');
  }
  const tls = url.protocol === 'rediss:';
  return {
    host: url.host,
    protocol: tls ? 'rediss' : 'redis',
    ...(url.pathname.length > 1 ? { pathname: url.pathname } : {}),
    title: 'Redis',
    description: `The Redis server holding the event streams${tls ? ' (TLS)' : ''}. Streams need Redis 5; \`XAUTOCLAIM\` needs 6.2, and 7.0 to report entries trimmed while pending.`,
  };
}

/** `{tag}` in a key is a Redis Cluster hash tag, a literal; AsyncAPI reads braces as parameters, so each is one whose only value is itself. */
function literalBraces(address: string): JsonObject | undefined {
  const names = [...address.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1]!);
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [name, { description: 'Part of the key itself (a Redis Cluster hash tag), not a variable.', enum: [`{${name}}`] }]));
}

const CONSUMING = (streamKey: string, deadLetterKey: string) => `Consume with a consumer group, so that each entry is handled by one consumer of the group and survives consumer crashes:

1. Once: \`XGROUP CREATE ${streamKey} <group> $ MKSTREAM\` (\`0\` instead of \`$\` starts from the oldest entry the stream keeps).
2. Loop: \`XREADGROUP GROUP <group> <consumer> COUNT 100 BLOCK 5000 STREAMS ${streamKey} >\`, handle each entry, then \`XACK ${streamKey} <group> <entry-id>\`.
3. Periodically: \`XAUTOCLAIM ${streamKey} <group> <consumer> <min-idle-ms> 0-0\` takes over entries another consumer read but never acknowledged (it crashed or hung).

Delivery is **at least once**: an entry handled but not yet acknowledged when a consumer dies is delivered again. Make handling idempotent: de-duplicate on the event \`id\`, or keep per \`subject\` the highest \`sequence\` applied and skip entries at or below it (a claimed entry can arrive after a later one).

Each change is recorded once, whoever notices it: one \`dataset.*\` event per revision on the first-parent history, oldest first (writes made while the catalog database was down are announced by the sync worker with \`origin: "sync"\`, one each, in commit order), one per tag change. When the revision an earlier event announced is no longer an ancestor of the head (a force-push), one \`dataset.updated\` with \`historyRewritten: true\` announces the new head.

An entry delivered too many times (its delivery count, from \`XPENDING ${streamKey} <group> IDLE <ms> - + <count>\`, reaches the consumer's configured maximum) is a poison message: the consumer appends it to \`${deadLetterKey}\` with the fields \`error\`, \`deliveries\`, \`consumer\`, \`group\` and \`streamId\` added, then acknowledges it so the group moves on.

The stream is capped (\`XADD MAXLEN ~\`). A consumer that starts late, falls behind the cap, or sees \`XAUTOCLAIM\` report deleted entries replays from the HTTP feed \`GET /api/v1/events?after=<last sequence handled>&limit=<n>\` (see the \`EventFeedPage\` schema) until \`nextCursor\` is null, then returns to the stream.`;

/** The AsyncAPI 3.0.0 description of Metastore's event streams, from a consumer's point of view. */
export function asyncApiDocument(options: AsyncApiOptions): AsyncApiDocument {
  const { streamKey, deadLetterKey } = options;
  let exampleIndex = 0;
  const messages = Object.fromEntries(
    EVENT_TYPES.map((type) => [MESSAGES[type].key, messageOf(type, EXAMPLES[type].map((example) => exampleOf(example, (exampleIndex += 1))))]),
  );
  const deadLetterExample = messages[MESSAGES['dataset.updated'].key]!.examples[0]!;
  messages['deadLetter'] = {
    name: 'deadLetter',
    title: 'Dead letter',
    summary: 'A stream entry no consumer of a group could handle.',
    description: `The entry as it was on \`${streamKey}\` (its \`event\` field is the payload), with \`error\`, \`deliveries\`, \`consumer\`, \`group\` and \`streamId\` added. Inspect, fix the cause, and re-add it to \`${streamKey}\` or handle it by hand; then \`XDEL\` it.`,
    contentType: CONTENT_TYPE,
    headers: { $ref: `${SCHEMAS}DeadLetterFields` },
    payload: { $ref: `${SCHEMAS}MetastoreEvent` },
    examples: [
      {
        name: 'deadLetter',
        summary: 'An update the search indexer kept failing on.',
        headers: { ...deadLetterExample.headers, error: 'search index rejected the document: mapping conflict on field "version"', deliveries: '5', consumer: 'indexer-7f9c', group: 'search-indexer', streamId: '1764489600000-0' },
        payload: deadLetterExample.payload,
      },
    ],
  };
  const eventMessageKeys = EVENT_TYPES.map((type) => MESSAGES[type].key);
  const streamParameters = literalBraces(streamKey);
  const deadLetterParameters = literalBraces(deadLetterKey);
  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title ?? 'Metastore events',
      version: options.version ?? '1.0.0',
      description: `Changes to datasets and their tags, announced as [CloudEvents 1.0](https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md) on a Redis stream. Every event is recorded in the same database transaction as the change (a transactional outbox) and appended by a relay in \`sequence\` order, exactly once per sequence.

Operations are described from a consumer's point of view. Besides the stream, every event stays readable over HTTP: \`GET /api/v1/events?after=<sequence>&limit=<n>\` answers \`{ items: [{ sequence, event }], nextCursor }\` (schema \`EventFeedPage\`), a replayable feed for consumers that start late or fall behind the stream's cap.`,
    },
    defaultContentType: CONTENT_TYPE,
    servers: { redis: redisServer(options.serverUrl ?? 'redis://localhost:6379') },
    channels: {
      events: {
        address: streamKey,
        title: 'Events',
        description: `The Redis stream \`${streamKey}\`. Each entry has the fields \`id\`, \`type\`, \`subject\`, \`sequence\` (the message headers) and \`event\` (the payload). Entries appear in \`sequence\` order; sequences grow but may skip numbers.`,
        ...(streamParameters ? { parameters: streamParameters } : {}),
        messages: Object.fromEntries(eventMessageKeys.map((key) => [key, { $ref: `#/components/messages/${key}` }])),
      },
      deadLetters: {
        address: deadLetterKey,
        title: 'Dead letters',
        description: `The Redis stream \`${deadLetterKey}\`: entries of \`${streamKey}\` that consumers gave up on.`,
        ...(deadLetterParameters ? { parameters: deadLetterParameters } : {}),
        messages: { deadLetter: { $ref: '#/components/messages/deadLetter' } },
      },
    },
    operations: {
      receiveEvents: {
        action: 'receive',
        channel: { $ref: '#/channels/events' },
        title: 'Receive events',
        summary: 'Read events with a consumer group, at least once.',
        description: CONSUMING(streamKey, deadLetterKey),
        messages: eventMessageKeys.map((key) => ({ $ref: `#/channels/events/messages/${key}` })),
      },
      sendDeadLetter: {
        action: 'send',
        channel: { $ref: '#/channels/deadLetters' },
        title: 'Dead-letter an entry',
        summary: 'Give up on an entry after the configured number of deliveries.',
        description: `\`XADD ${deadLetterKey} * <the entry's fields> error <message> deliveries <count> consumer <name>\`, then \`XACK\` the entry on \`${streamKey}\`.`,
        messages: [{ $ref: '#/channels/deadLetters/messages/deadLetter' }],
      },
      receiveDeadLetters: {
        action: 'receive',
        channel: { $ref: '#/channels/deadLetters' },
        title: 'Inspect dead letters',
        summary: 'Read the entries consumers gave up on (operators, alerting).',
        description: `\`XRANGE ${deadLetterKey} - +\` lists them; \`XLEN\` counts them, which is worth an alert when above zero.`,
        messages: [{ $ref: '#/channels/deadLetters/messages/deadLetter' }],
      },
    },
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, referencing(schema)])),
      messages,
    },
  };
}
