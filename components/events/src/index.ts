export { DEFAULT_MAX_DESCRIPTOR_BYTES, eventFromChange, eventOptionsForApi } from './lib/event.builder';
export type { EventBuilderOptions } from './lib/event.builder';
export { EVENT_TYPE_DEFINITIONS, EVENT_TYPES } from './lib/event-types';
export type { AnyEventTypeDefinition, EventTypeDefinitionOf } from './lib/event-types';
export type { EventTypeDefinition, EventTypeExample } from './lib/event-type';
export type {
  ChangedParts,
  ChangeFields,
  ChangeOrigin,
  DatasetChange,
  DescriptorObject,
  EventData,
  EventType,
  MetastoreEvent,
  StoredEvent,
  TagData,
} from './lib/event.model';
export { BackoffLoop } from './lib/backoff-loop';
export type { BackoffLoopOptions } from './lib/backoff-loop';
export { OutboxRelay } from './lib/outbox-relay.service';
export type { OutboxRelayOptions, RelayLogger, RelayStatus } from './lib/outbox-relay.service';
export { containsNul, withoutNul } from './lib/nul-characters';
export type { EventFilter, EventStream, Outbox } from './lib/outbox.port';
export { parseEventCursor } from './lib/event-cursor';
export { EVENT_DATA_SCHEMAS, EVENT_ENVELOPE_SCHEMA, EVENT_SCHEMAS, eventSchemaFor } from './lib/event.schemas';
export type { EventDataSchema, EventSchema } from './lib/event.schemas';
export { asyncApiEvents, EVENT_SEQUENCE_SCHEMA } from './lib/asyncapi';
export type { AsyncApiEventExample, AsyncApiEventMessage, AsyncApiEvents, JsonObject } from './lib/asyncapi';
