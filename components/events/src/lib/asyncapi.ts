import { DEFAULT_MAX_DESCRIPTOR_BYTES, eventFromChange, type EventBuilderOptions } from './event.builder';
import type { EventType } from './event.model';
import type { EventTypeExample } from './event-type';
import { EVENT_TYPE_DEFINITIONS } from './event-types';
import { EVENT_ENVELOPE_SCHEMA, EVENT_SCHEMA_COMPONENTS, EVENT_SCHEMAS } from './event.schemas';

// The transport-neutral part of the AsyncAPI description: named schemas and one message per event type, with examples.
// The transport (servers, channels, operations, message headers, dead letters) is the adapter's: `asyncApiDocument` in events-redis.

/** A JSON object as it appears in an AsyncAPI document. */
export type JsonObject = { readonly [key: string]: unknown };

/** One example event of a message, and the outbox sequence it is shown at. */
export interface AsyncApiEventExample {
  readonly name: string;
  readonly summary: string;
  readonly sequence: string;
  /** The CloudEvent, as JSON. */
  readonly payload: JsonObject;
}

/** One event type as an AsyncAPI message, without transport details. */
export interface AsyncApiEventMessage {
  /** The message's key in `components.messages` (`datasetCreated` for `dataset.created`). */
  readonly key: string;
  readonly type: EventType;
  readonly title: string;
  readonly summary: string;
  /** The name of the type's `data` schema (`DatasetCreatedData`). */
  readonly dataTitle: string;
  /** The event's schema, named parts as `$ref`s to `#/components/schemas/`. */
  readonly payload: JsonObject;
  readonly examples: readonly AsyncApiEventExample[];
}

/** Named schemas (for `components.schemas`) and one message per event type, in the order of the definitions. */
export interface AsyncApiEvents {
  readonly schemas: Readonly<Record<string, JsonObject>>;
  readonly messages: readonly AsyncApiEventMessage[];
}

const SCHEMAS = '#/components/schemas/';

/** An outbox sequence: the schema every transport and the HTTP feed name `Sequence`. */
export const EVENT_SEQUENCE_SCHEMA = {
  title: 'Sequence',
  description: "The event's position in the outbox: a decimal integer, growing with every event recorded. Replay the HTTP feed after it.",
  type: 'string',
  pattern: '^(?:0|[1-9][0-9]*)$',
} as const;

const EVENT_FEED_PAGE = {
  title: 'EventFeedPage',
  description:
    'A page of `GET /api/v1/events?after=<sequence>&limit=<1..1000>`: events after `after`, in sequence order. Ask again with `after=nextCursor` until it is null.',
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
        properties: { sequence: EVENT_SEQUENCE_SCHEMA, event: EVENT_ENVELOPE_SCHEMA },
      },
    },
    nextCursor: { anyOf: [EVENT_SEQUENCE_SCHEMA, { type: 'null' }] },
  },
} as const;

/**
 * A copy of `schema` in which every named part (by identity) is a `$ref` to its component. `$schema` and `$id`
 * are dropped: under JSON Schema an `$id` would rebase the `#/components/...` references inside it.
 */
function referencingWith(names: ReadonlyMap<object, string>): (schema: object) => JsonObject {
  return (schema) => {
    const visit = (node: unknown, root: boolean): unknown => {
      if (Array.isArray(node)) return node.map((item) => visit(item, false));
      if (typeof node !== 'object' || node === null) return node;
      const name = root ? undefined : names.get(node);
      if (name !== undefined) return { $ref: `${SCHEMAS}${name}` };
      return Object.fromEntries(
        Object.entries(node)
          .filter(([key]) => !(root && (key === '$schema' || key === '$id')))
          .map(([key, value]) => [key, visit(value, false)]),
      );
    };
    return visit(schema, true) as JsonObject;
  };
}

/** `dataset.created` → `datasetCreated`. */
function messageKey(type: string): string {
  return type.replace(/[.-]([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

function exampleOf(type: EventType, example: EventTypeExample, index: number): AsyncApiEventExample {
  const options: EventBuilderOptions = {
    source: 'urn:metastore:example',
    maxDescriptorBytes: example.maxDescriptorBytes ?? DEFAULT_MAX_DESCRIPTOR_BYTES,
    descriptorUrl: (id, revision) => `https://metastore.example.org/api/v1/datasets/${id.owner}/${id.name}?ref=${revision}`,
    newId: () => `5f0e6c1a-9b7d-4e2f-8a3c-${String(index).padStart(12, '0')}`,
  };
  const event = eventFromChange({ ...example.change, type }, options);
  return {
    name: example.name,
    summary: example.summary,
    sequence: example.sequence,
    payload: JSON.parse(JSON.stringify(event)) as JsonObject,
  };
}

/**
 * The event types as AsyncAPI messages and the schemas they name. `transportSchemas` are the transport's own named
 * schemas (listed after `Sequence`): parts of them that are event schemas (by identity) become `$ref`s too.
 */
export function asyncApiEvents(transportSchemas: Readonly<Record<string, object>> = {}): AsyncApiEvents {
  const components: Readonly<Record<string, object>> = {
    ...EVENT_SCHEMA_COMPONENTS,
    Sequence: EVENT_SEQUENCE_SCHEMA,
    ...transportSchemas,
    EventFeedPage: EVENT_FEED_PAGE,
  };
  const names = new Map<object, string>(Object.entries(components).map(([name, schema]) => [schema, name]));
  const referencing = referencingWith(names);
  let exampleIndex = 0;
  const messages = EVENT_TYPE_DEFINITIONS.map((definition): AsyncApiEventMessage => ({
    key: messageKey(definition.type),
    type: definition.type,
    title: definition.title,
    summary: definition.summary,
    dataTitle: definition.data.title,
    payload: referencing(EVENT_SCHEMAS[definition.type]),
    examples: definition.examples.map((example) => exampleOf(definition.type, example, (exampleIndex += 1))),
  }));
  return { schemas: Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, referencing(schema)])), messages };
}
