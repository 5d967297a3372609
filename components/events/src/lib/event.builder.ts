import { randomUUID } from 'node:crypto';
import { formatDatasetId, isJsonObject, summarizeDiff } from '@metastore/datasets';
import type { Tag } from '@metastore/storage';
import { EVENT_DATA_SCHEMAS } from './event.schemas';
import type { ChangedParts, DatasetChange, DescriptorObject, EventData, MetastoreEvent, TagData } from './event.model';
import { containsNul, withoutNul } from './nul-characters';

/** How events are stamped: their source, id generator, and the size above which the descriptor is linked instead of embedded. */
export interface EventBuilderOptions {
  /** CloudEvents `source` of this Metastore (a URI reference such as `urn:metastore:prod`). */
  readonly source: string;
  /** Largest descriptor (UTF-8 bytes of its stored source) carried inside an event. */
  readonly maxDescriptorBytes: number;
  /** Where a dataset's descriptor can be read at a revision (an API URL), for events whose descriptor is left out. */
  readonly descriptorUrl: (id: { owner: string; name: string }, revision: string) => string;
  readonly newId?: () => string;
}

/** How every Metastore process stamps events: the API's public URL is the source, and large descriptors link to its read endpoint. */
export function eventOptionsForApi(publicUrl: string, maxDescriptorBytes: number): EventBuilderOptions {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    source: base,
    maxDescriptorBytes,
    descriptorUrl: (id, revision) =>
      `${base}/api/v1/datasets/${encodeURIComponent(id.owner)}/${encodeURIComponent(id.name)}?ref=${revision}`,
  };
}

/** Default size limit of a descriptor embedded in an event (Redis stream entries stay small). */
export const DEFAULT_MAX_DESCRIPTOR_BYTES = 256 * 1024;

function tagData(tag: Tag | undefined): TagData | undefined {
  return tag && { name: tag.name, target: tag.target, description: tag.description, author: tag.author, createdAt: tag.createdAt };
}

function changedParts(previous: DescriptorObject | undefined, next: DescriptorObject): ChangedParts {
  const summary = summarizeDiff(previous ?? {}, next);
  return {
    fields: summary.fieldsChanged,
    resources: { added: summary.resourcesAdded, removed: summary.resourcesRemoved, modified: summary.resourcesChanged },
  };
}

function parseObject(source: string): DescriptorObject | undefined {
  try {
    const parsed: unknown = JSON.parse(source);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the CloudEvents envelope announcing `change`; its data holds no U+0000 (see `withoutNul`). */
export function eventFromChange(change: DatasetChange, options: EventBuilderOptions): MetastoreEvent {
  const subject = formatDatasetId(change.id);
  let descriptorPart: Pick<EventData, 'changes' | 'descriptor' | 'descriptorTruncated' | 'descriptorUrl' | 'descriptorInvalid'> = {};
  if (change.descriptorSource !== undefined && change.newRevision !== undefined) {
    const descriptor = parseObject(change.descriptorSource);
    if (descriptor === undefined) {
      // A descriptor pushed to git by hand may not be a JSON object: reading it answers DESCRIPTOR_INVALID, so the event
      // says so instead of linking to it (`changes` compare with an empty descriptor).
      descriptorPart = { changes: changedParts(change.previousDescriptor, {}), descriptorInvalid: true };
    } else {
      // A descriptor holding U+0000 (which the outbox's jsonb cannot store, and many consumers cannot either) is linked instead of carried.
      const tooLarge = Buffer.byteLength(change.descriptorSource, 'utf8') > options.maxDescriptorBytes || containsNul(descriptor);
      descriptorPart = {
        changes: changedParts(change.previousDescriptor, descriptor),
        ...(tooLarge ? { descriptorTruncated: true, descriptorUrl: options.descriptorUrl(change.id, change.newRevision) } : { descriptor }),
      };
    }
  }
  const data: EventData = {
    dataset: { id: subject, owner: change.id.owner, name: change.id.name, backend: change.backend, location: change.location },
    origin: change.origin,
    oldRevision: change.oldRevision ?? null,
    newRevision: change.newRevision ?? null,
    author: change.author ?? null,
    ...(change.message !== undefined ? { message: change.message } : {}),
    ...descriptorPart,
    ...(change.revertedTo !== undefined ? { revertedTo: change.revertedTo } : {}),
    ...(change.historyRewritten ? { historyRewritten: true as const } : {}),
    ...(change.tag ? { tag: tagData(change.tag) } : {}),
    ...(change.previousTag ? { previousTag: tagData(change.previousTag) } : {}),
  };
  return {
    specversion: '1.0',
    id: (options.newId ?? randomUUID)(),
    source: options.source,
    type: change.type,
    subject,
    time: change.time.toISOString(),
    datacontenttype: 'application/json',
    dataschema: EVENT_DATA_SCHEMAS[change.type].$id,
    // U+0000 elsewhere (a commit message, a resource name in `changes`) becomes U+FFFD: every event can be stored.
    data: withoutNul(data),
  };
}
