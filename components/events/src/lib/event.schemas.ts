import { BASE_URI, DATASET_ID, DIALECT, SHARED_SCHEMA_PARTS } from './event-schema.parts';
import { EVENT_TYPE_DEFINITIONS, EVENT_TYPES, type EventType, type EventTypeDefinitionOf } from './event-types';

// Everything per type is derived from the definitions in `event-types/`; shared parts live in `event-schema.parts.ts`.

/** The `data` schema of `T` as its definition declares it. */
type DataBody<T extends EventType> = EventTypeDefinitionOf<T>['data'];

function dataBody<T extends EventType>(type: T): DataBody<T> {
  return EVENT_TYPE_DEFINITIONS.find((definition) => definition.type === type)!.data as DataBody<T>;
}

const ENVELOPE_PROPERTIES = {
  specversion: { description: 'CloudEvents version.', const: '1.0' },
  id: { description: 'Unique per event; consumers de-duplicate on it.', type: 'string', minLength: 1 },
  source: { description: 'The Metastore instance that recorded the event.', type: 'string', minLength: 1, format: 'uri-reference' },
  subject: DATASET_ID,
  time: {
    description: 'When the change happened (commit or tag time, or when it was noticed), RFC 3339.',
    type: 'string',
    format: 'date-time',
  },
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

/** The JSON Schema (draft 2020-12) of the `data` of `T`. */
export type EventDataSchema<T extends EventType> = {
  readonly $schema: typeof DIALECT;
  readonly $id: `${typeof BASE_URI}${T}.json`;
} & DataBody<T>;

function dataSchema<T extends EventType>(type: T): EventDataSchema<T> {
  return { $schema: DIALECT, $id: `${BASE_URI}${type}.json` as const, ...dataBody(type) } as EventDataSchema<T>;
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
      data: dataBody(type),
    },
  } as const;
}

/** The JSON Schema (draft 2020-12) of a whole event of `T`: envelope, `type` fixed, `data` as the type defines it. */
export type EventSchema<T extends EventType> = ReturnType<typeof eventSchema<T>>;

function byType<S>(build: (type: EventType) => S): Record<EventType, S> {
  return Object.fromEntries(EVENT_TYPES.map((type) => [type, build(type)])) as Record<EventType, S>;
}

/** The JSON Schema (draft 2020-12) of the `data` of each event type; its `$id` is what a CloudEvents `dataschema` names. */
export const EVENT_DATA_SCHEMAS = byType(dataSchema) as { readonly [T in EventType]: EventDataSchema<T> };

/**
 * The JSON Schema (draft 2020-12) of a whole event of each type: envelope, `type` fixed, `data` as the type defines it. Each is
 * self-contained.
 */
export const EVENT_SCHEMAS = byType(eventSchema) as { readonly [T in EventType]: EventSchema<T> };

/**
 * The JSON Schema (draft 2020-12) of any Metastore event: the CloudEvents envelope, with `data` checked against the schema of the event's
 * `type`.
 */
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
      then: { properties: { dataschema: { const: `${BASE_URI}${type}.json` }, data: dataBody(type) } },
    })),
  ],
} as const;

/** The schema of a whole event of `type` (see {@link EVENT_SCHEMAS}). */
export function eventSchemaFor<T extends EventType>(type: T): EventSchema<T> {
  return EVENT_SCHEMAS[type];
}

/**
 * The named parts the schemas share, by component name (their `title`): documents that reference schemas by name (AsyncAPI) define each
 * once.
 */
export const EVENT_SCHEMA_COMPONENTS: Readonly<Record<string, object>> = Object.fromEntries(
  [...SHARED_SCHEMA_PARTS, ...EVENT_TYPE_DEFINITIONS.map((definition) => definition.data), CLOUD_EVENT_ENVELOPE, EVENT_ENVELOPE_SCHEMA].map(
    (schema) => [schema.title, schema],
  ),
);
