export { DEFAULT_MAX_DESCRIPTOR_BYTES, eventFromChange } from './lib/event.builder';
export type { EventBuilderOptions } from './lib/event.builder';
export { EVENT_TYPES } from './lib/event.model';
export type { ChangedParts, ChangeOrigin, DatasetChange, DescriptorObject, EventData, EventType, MetastoreEvent, StoredEvent, TagData } from './lib/event.model';
export { OutboxRelay } from './lib/outbox-relay.service';
export type { OutboxRelayOptions, RelayLogger } from './lib/outbox-relay.service';
export type { EventStream, Outbox } from './lib/outbox.port';
