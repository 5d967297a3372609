import { ConfigurationError } from '@metastore/errors';
import { asyncApiEvents, EVENT_SEQUENCE_SCHEMA, EVENT_TYPES, type AsyncApiEventMessage, type JsonObject } from '@metastore/events';

// The AsyncAPI description of the events on Redis Streams: servers, channels, operations, the stream entry's fields
// (message headers) and dead letters are this adapter's; the event messages and schemas come from `@metastore/events`.

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
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonObject>>;
    readonly messages: Readonly<Record<string, AsyncApiMessage>>;
  };
}

const CONTENT_TYPE = 'application/cloudevents+json';
const SCHEMAS = '#/components/schemas/';

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
    sequence: EVENT_SEQUENCE_SCHEMA,
  },
} as const;

const DEAD_LETTER_FIELDS = {
  title: 'DeadLetterFields',
  description:
    'A dead-lettered entry: the original entry fields (its `event` field is the payload, copied as it was), and why it was given up.',
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

function messageOf(message: AsyncApiEventMessage): AsyncApiMessage {
  return {
    name: message.type,
    title: message.title,
    summary: message.summary,
    description: `One stream entry whose \`type\` field is \`${message.type}\`; its \`event\` field holds the CloudEvent (JSON format) described by the payload, whose \`data\` is \`${message.dataTitle}\`.`,
    contentType: CONTENT_TYPE,
    headers: { allOf: [{ $ref: `${SCHEMAS}StreamEntryFields` }, { type: 'object', properties: { type: { const: message.type } } }] },
    payload: message.payload,
    examples: message.examples.map((example) => ({
      name: example.name,
      summary: example.summary,
      headers: {
        id: example.payload['id'],
        type: example.payload['type'],
        subject: example.payload['subject'],
        sequence: example.sequence,
      },
      payload: example.payload,
    })),
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

/**
 * `{tag}` in a key is a Redis Cluster hash tag, a literal; AsyncAPI reads braces as parameters, so each is one whose only value is itself.
 */
function literalBraces(address: string): JsonObject | undefined {
  const names = [...address.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1]!);
  if (names.length === 0) return undefined;
  return Object.fromEntries(
    names.map((name) => [name, { description: 'Part of the key itself (a Redis Cluster hash tag), not a variable.', enum: [`{${name}}`] }]),
  );
}

const CONSUMING = (
  streamKey: string,
  deadLetterKey: string,
) => `Consume with a consumer group, so that each entry is handled by one consumer of the group and survives consumer crashes:

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
  const events = asyncApiEvents({ StreamEntryFields: STREAM_ENTRY_FIELDS, DeadLetterFields: DEAD_LETTER_FIELDS });
  const messages: Record<string, AsyncApiMessage> = Object.fromEntries(events.messages.map((message) => [message.key, messageOf(message)]));
  const deadLetterExample = messages['datasetUpdated']!.examples[0]!;
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
        headers: {
          ...deadLetterExample.headers,
          error: 'search index rejected the document: mapping conflict on field "version"',
          deliveries: '5',
          consumer: 'indexer-7f9c',
          group: 'search-indexer',
          streamId: '1764489600000-0',
        },
        payload: deadLetterExample.payload,
      },
    ],
  };
  const eventMessageKeys = events.messages.map((message) => message.key);
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
      schemas: events.schemas,
      messages,
    },
  };
}
