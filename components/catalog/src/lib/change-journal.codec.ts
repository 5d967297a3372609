import { EVENT_TYPES, type DatasetChange } from '@metastore/events';
import type { CatalogEntry } from './catalog.model';
import type { JournaledChange, JournaledUpdate } from './change-journal.port';

/** The version of the journal entry format written by {@link encodeJournaledChange}. */
export const JOURNAL_FORMAT_VERSION = 1;

type Json = { [key: string]: unknown };

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function date(value: unknown, field: string): Date {
  const parsed = typeof value === 'string' ? new Date(value) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) throw new Error(`${field} is not a time`);
  return parsed;
}

/** A journaled change as JSON text: the change and its update, times as ISO strings. */
export function encodeJournaledChange(journaled: JournaledChange): string {
  const { change, update } = journaled;
  return JSON.stringify({
    version: JOURNAL_FORMAT_VERSION,
    change: { ...change, time: change.time.toISOString() },
    ...(journaled.missed ? { missed: { ...journaled.missed, time: journaled.missed.time.toISOString() } } : {}),
    update: {
      ...update,
      ...(update.entry
        ? { entry: { ...update.entry, createdAt: update.entry.createdAt.toISOString(), updatedAt: update.entry.updatedAt.toISOString() } }
        : {}),
      ...(update.deletedAt ? { deletedAt: update.deletedAt.toISOString() } : {}),
    },
    ...(journaled.createdAtFromCatalog ? { createdAtFromCatalog: true } : {}),
  });
}

/** The journaled change `text` holds (written by {@link encodeJournaledChange}); throws saying what is wrong with it. */
export function decodeJournaledChange(text: string): JournaledChange {
  const parsed: unknown = JSON.parse(text);
  if (!isObject(parsed)) throw new Error('not a JSON object');
  if (parsed['version'] !== JOURNAL_FORMAT_VERSION) throw new Error(`unknown format version ${JSON.stringify(parsed['version'])}`);
  const { change, update, missed } = parsed;
  if (!isObject(change) || !isObject(update)) throw new Error('no change or no update');
  if (missed !== undefined && !(isObject(missed) && (EVENT_TYPES as readonly unknown[]).includes(missed['type'])))
    throw new Error('a malformed missed change');
  if (!(EVENT_TYPES as readonly unknown[]).includes(change['type']))
    throw new Error(`unknown change type ${JSON.stringify(change['type'])}`);
  const id = change['id'];
  if (!isObject(id) || typeof id['owner'] !== 'string' || typeof id['name'] !== 'string') throw new Error('no dataset id');
  if (
    typeof change['backend'] !== 'string' ||
    typeof change['location'] !== 'string' ||
    (change['origin'] !== 'api' && change['origin'] !== 'sync')
  ) {
    throw new Error('no backend, location or origin');
  }
  const entry = update['entry'];
  if (entry !== undefined && !(isObject(entry) && typeof entry['headRevision'] === 'string')) throw new Error('a malformed entry');
  const decoded: JournaledUpdate = {
    ...(update as JournaledUpdate),
    ...(isObject(entry)
      ? {
          entry: {
            ...(entry as unknown as CatalogEntry),
            createdAt: date(entry['createdAt'], 'entry.createdAt'),
            updatedAt: date(entry['updatedAt'], 'entry.updatedAt'),
          },
        }
      : {}),
    ...(update['deletedAt'] !== undefined ? { deletedAt: date(update['deletedAt'], 'deletedAt') } : {}),
  };
  return {
    change: { ...(change as unknown as DatasetChange), time: date(change['time'], 'change.time') },
    ...(isObject(missed) ? { missed: { ...(missed as unknown as DatasetChange), time: date(missed['time'], 'missed.time') } } : {}),
    update: decoded,
    ...(parsed['createdAtFromCatalog'] === true ? { createdAtFromCatalog: true } : {}),
  };
}
