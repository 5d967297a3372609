import type { ChangeFields } from './event.model';

/** One documented example of an event type: the change it announces, built into an event by `eventFromChange`. */
export interface EventTypeExample {
  /** A name unique among all examples (the AsyncAPI example name). */
  readonly name: string;
  readonly summary: string;
  /** The outbox sequence the example event is shown at. */
  readonly sequence: string;
  /** The change, without its `type` (the definition's). */
  readonly change: ChangeFields;
  /** Size limit for this example's descriptor, to show a linked one; the default limit otherwise. */
  readonly maxDescriptorBytes?: number;
}

/** Everything about one event type, declared once: JSON Schemas, the builder's `dataschema` and AsyncAPI messages derive from it. */
export interface EventTypeDefinition<T extends string = string, D extends { readonly title: string } = { readonly title: string }> {
  /** The CloudEvents `type`, such as `dataset.created`. */
  readonly type: T;
  /** The AsyncAPI message title, such as `Dataset created`. */
  readonly title: string;
  /** One sentence: what happened. */
  readonly summary: string;
  /** The JSON Schema of the event's `data` (without `$schema` and `$id`, which are derived from `type`); its `title` names it. */
  readonly data: D;
  /** At least one example; each must validate against the schemas (the schema specs check every one). */
  readonly examples: readonly [EventTypeExample, ...EventTypeExample[]];
}

/** Declares an event type, keeping its literal `type` and data schema types for the derived schemas. */
export function defineEventType<const T extends string, const D extends { readonly title: string }>(
  definition: EventTypeDefinition<T, D>,
): EventTypeDefinition<T, D> {
  return definition;
}
