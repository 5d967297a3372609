import { isJsonObject } from '@metastore/datasets';
import { withoutNul, type DescriptorObject } from '@metastore/events';
import type { DatasetId, Revision } from '@metastore/storage';
import type { CatalogEntry } from './catalog.model';

/** What the catalog row of a dataset is computed from: where it lives, its head, its first revision's time and its descriptor. */
export interface EntrySource {
  readonly id: DatasetId;
  readonly backend: string;
  readonly location: string;
  readonly head: Revision;
  readonly createdAt: Date;
  /** `datapackage.json` at the head, as stored. */
  readonly source: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** The license's name, else its path, else its title (Data Package licenses need one of name or path). */
function licenseName(license: unknown): string | undefined {
  if (!isJsonObject(license)) return undefined;
  return text(license['name']) ?? text(license['path']) ?? text(license['title']);
}

/** A descriptor's source as a JSON object, or `undefined` when it is absent, not JSON or not an object (written to git by hand). */
export function parseDescriptor(source: string | undefined): DescriptorObject | undefined {
  if (source === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(source);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `entry` with U+0000 in its text replaced by U+FFFD: PostgreSQL's text cannot hold it (a descriptor pushed to git by hand may). */
export function storableEntry(entry: CatalogEntry): CatalogEntry {
  return {
    ...entry,
    location: withoutNul(entry.location),
    ...(entry.title !== undefined ? { title: withoutNul(entry.title) } : {}),
    ...(entry.description !== undefined ? { description: withoutNul(entry.description) } : {}),
    keywords: withoutNul(entry.keywords),
    licenses: withoutNul(entry.licenses),
  };
}

/** Whether a descriptor's source can be cached: not when it holds U+0000 (then reads of it go to storage). */
export function isCacheable(source: string): boolean {
  return !source.includes('\u0000');
}

/** The catalog row of a dataset: searchable fields taken from the descriptor, times from git; text without U+0000. */
export function catalogEntryOf(input: EntrySource): CatalogEntry {
  // A descriptor that is not a JSON object (written to git by hand) is indexed by name only.
  const descriptor = parseDescriptor(input.source) ?? {};
  const keywords = Array.isArray(descriptor['keywords'])
    ? descriptor['keywords'].filter((keyword): keyword is string => typeof keyword === 'string')
    : [];
  const licenses = Array.isArray(descriptor['licenses'])
    ? descriptor['licenses'].map(licenseName).filter((name): name is string => name !== undefined)
    : [];
  const title = text(descriptor['title']);
  const description = text(descriptor['description']);
  return storableEntry({
    id: input.id,
    backend: input.backend,
    location: input.location,
    headRevision: input.head.sha,
    ...(title !== undefined ? { title } : {}),
    ...(description !== undefined ? { description } : {}),
    keywords: [...new Set(keywords)],
    licenses: [...new Set(licenses)],
    resourceCount: Array.isArray(descriptor['resources']) ? descriptor['resources'].length : 0,
    createdAt: input.createdAt,
    updatedAt: new Date(input.head.timestamp),
    deleted: false,
  });
}
