import { datasetCreated } from './event-types/dataset-created';
import { datasetDeleted } from './event-types/dataset-deleted';
import { datasetReverted } from './event-types/dataset-reverted';
import { datasetUpdated } from './event-types/dataset-updated';
import { tagCreated } from './event-types/tag-created';
import { tagDeleted } from './event-types/tag-deleted';
import { tagUpdated } from './event-types/tag-updated';

/**
 * Every event type Metastore announces, one file each in `event-types/`, in the order documents list them. The JSON
 * Schemas, the builder's `dataschema`, `EVENT_TYPES` and the AsyncAPI messages are all derived from this list.
 */
export const EVENT_TYPE_DEFINITIONS = [
  datasetCreated,
  datasetUpdated,
  datasetDeleted,
  datasetReverted,
  tagCreated,
  tagUpdated,
  tagDeleted,
] as const;

/** The definition of any one event type. */
export type AnyEventTypeDefinition = (typeof EVENT_TYPE_DEFINITIONS)[number];

/** The kinds of change Metastore announces; also the CloudEvents `type` of each event. */
export type EventType = AnyEventTypeDefinition['type'];

/** The definition of `T`. */
export type EventTypeDefinitionOf<T extends EventType> = Extract<AnyEventTypeDefinition, { readonly type: T }>;

/** The `type` of each definition of a list, position by position. */
type TypesOf<D extends readonly { readonly type: string }[]> = {
  readonly [K in keyof D]: D[K] extends { readonly type: infer T } ? T : never;
};

/** Every {@link EventType}, in the order of {@link EVENT_TYPE_DEFINITIONS}. */
export const EVENT_TYPES = EVENT_TYPE_DEFINITIONS.map((definition) => definition.type) as unknown as TypesOf<typeof EVENT_TYPE_DEFINITIONS>;
