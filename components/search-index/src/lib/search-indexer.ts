import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectoryDurably, nonce, writeFileDurably } from '@metastore/durable-files';
import type { DescriptorObject, MetastoreEvent } from '@metastore/events';

/** A dataset as the search index holds it. */
export interface IndexedDataset {
  /** `owner/name`. */
  readonly id: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly keywords: readonly string[];
  /** The revision the fields were read at. */
  readonly revision: string | null;
  /** Tag name → revision, as tag events reported them. */
  readonly tags: Readonly<Record<string, string>>;
  /** Sequence of the last dataset event applied (created, updated, reverted). */
  readonly sequence: string;
  /** When that change happened. */
  readonly changedAt: string;
}

/** What `apply` did with an event. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'ignored';

/** Settings of a {@link SearchIndexer}. */
export interface SearchIndexerOptions {
  /** Directory of the index file (`search-index.json`), created if missing. */
  readonly dataDir: string;
  /** Used to read a descriptor an event left out for its size (`descriptorUrl`); the global `fetch` by default. */
  readonly fetch?: typeof fetch;
  /** How many event IDs to remember for de-duplication (default 10000). */
  readonly rememberedEventIds?: number;
}

interface IndexFile {
  readonly version: 1;
  readonly datasets: Record<string, IndexedDataset>;
  /** Dataset id → sequence of its deletion, so that a replayed older event does not bring it back. */
  readonly deleted: Record<string, string>;
  readonly recentEventIds: string[];
}

const SEQUENCE = /^[0-9]+$/;
const INDEX_FILE = 'search-index.json';
/** A save's temporary file (`search-index.json.<16 hex>.tmp`): one a crash left is removed when the index is opened. */
const TEMPORARY_FILE = /^search-index\.json\.[0-9a-f]{16}\.tmp$/;

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * The reference search indexer: keeps an in-process index of datasets (title, description, keywords,
 * revision, tags) up to date from Metastore events and persists it as one JSON file after each change.
 * Replays are harmless: events already seen (by ID) are skipped, and a dataset event older than the
 * dataset's last applied one (by sequence) changes nothing.
 */
export class SearchIndexer {
  /** The index file. */
  readonly file: string;
  private readonly datasets: Map<string, IndexedDataset>;
  private readonly deleted: Map<string, string>;
  private readonly recentEventIds: Set<string>;
  private readonly fetch: typeof fetch;
  private readonly rememberedEventIds: number;

  private constructor(options: SearchIndexerOptions, file: string, state: IndexFile) {
    this.file = file;
    this.datasets = new Map(Object.entries(state.datasets));
    this.deleted = new Map(Object.entries(state.deleted));
    this.recentEventIds = new Set(state.recentEventIds);
    this.fetch = options.fetch ?? fetch;
    this.rememberedEventIds = options.rememberedEventIds ?? 10_000;
  }

  /** Loads the index from `dataDir` (empty when there is no file yet), removing what a save cut short by a crash left. */
  static async open(options: SearchIndexerOptions): Promise<SearchIndexer> {
    const dataDir = path.resolve(options.dataDir);
    await makeDirectoryDurably(dataDir);
    for (const name of await readdir(dataDir)) if (TEMPORARY_FILE.test(name)) await rm(path.join(dataDir, name), { force: true });
    const file = path.join(dataDir, INDEX_FILE);
    let state: IndexFile = { version: 1, datasets: {}, deleted: {}, recentEventIds: [] };
    try {
      state = JSON.parse(await readFile(file, 'utf8')) as IndexFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new SearchIndexer(options, file, state);
  }

  /** Applies one event (its outbox `sequence` orders changes of a dataset) and saves the index if it changed. */
  async apply(event: MetastoreEvent, sequence: string): Promise<ApplyOutcome> {
    if (!SEQUENCE.test(sequence)) throw new Error(`event ${event.id} has no valid sequence ('${sequence}')`);
    if (this.recentEventIds.has(event.id)) return 'duplicate';
    const outcome = await this.applyNew(event, sequence);
    this.remember(event.id);
    await this.save();
    return outcome;
  }

  /** The indexed dataset `id` (`owner/name`), if any. */
  get(id: string): IndexedDataset | undefined {
    return this.datasets.get(id);
  }

  /** Every indexed dataset, by id. */
  list(): IndexedDataset[] {
    return [...this.datasets.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Datasets whose id, title, description or a keyword contains `query` (case-insensitive). */
  search(query: string): IndexedDataset[] {
    const needle = query.toLowerCase();
    return this.list().filter((dataset) =>
      [dataset.id, dataset.title ?? '', dataset.description ?? '', ...dataset.keywords].some((value) =>
        value.toLowerCase().includes(needle),
      ),
    );
  }

  private async applyNew(event: MetastoreEvent, sequence: string): Promise<ApplyOutcome> {
    const id = event.subject;
    switch (event.type) {
      case 'dataset.created':
      case 'dataset.updated':
      case 'dataset.reverted': {
        if (!this.isNewer(id, sequence)) return 'stale';
        const descriptor = await this.descriptorOf(event);
        this.datasets.set(id, {
          id,
          title: text(descriptor['title']),
          description: text(descriptor['description']),
          keywords: Array.isArray(descriptor['keywords'])
            ? descriptor['keywords'].filter((keyword): keyword is string => typeof keyword === 'string')
            : [],
          revision: event.data.newRevision,
          tags: this.datasets.get(id)?.tags ?? {},
          sequence,
          changedAt: event.time,
        });
        this.deleted.delete(id);
        return 'applied';
      }
      case 'dataset.deleted':
        if (!this.isNewer(id, sequence)) return 'stale';
        this.datasets.delete(id);
        this.deleted.set(id, sequence);
        return 'applied';
      case 'tag.created':
      case 'tag.updated':
      case 'tag.deleted': {
        // Tags are not searched; the index only records where they point.
        const dataset = this.datasets.get(id);
        const name = event.data.tag?.name ?? event.data.previousTag?.name;
        if (!dataset || !name) return 'ignored';
        const { [name]: _previous, ...others } = dataset.tags;
        this.datasets.set(id, { ...dataset, tags: event.data.tag ? { ...others, [name]: event.data.tag.target } : others });
        return 'applied';
      }
      default:
        return 'ignored';
    }
  }

  private isNewer(id: string, sequence: string): boolean {
    const latest = this.datasets.get(id)?.sequence ?? this.deleted.get(id);
    return latest === undefined || BigInt(sequence) > BigInt(latest);
  }

  private async descriptorOf(event: MetastoreEvent): Promise<DescriptorObject> {
    if (event.data.descriptor) return event.data.descriptor;
    const url = event.data.descriptorUrl;
    if (!url) return {};
    const response = await this.fetch(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`reading the descriptor of ${event.subject} at ${url} answered ${response.status}`);
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Error(`the descriptor of ${event.subject} at ${url} is not a JSON object`);
    return body as DescriptorObject;
  }

  private remember(eventId: string): void {
    this.recentEventIds.add(eventId);
    // A Set iterates in insertion order: the first IDs are the oldest.
    for (const oldest of this.recentEventIds) {
      if (this.recentEventIds.size <= this.rememberedEventIds) break;
      this.recentEventIds.delete(oldest);
    }
  }

  /**
   * Writes the whole index to a temporary file, fsyncs it, renames it over the old one and syncs the directory: after a
   * crash the file holds the old index or the new one, never half of one, and once `apply` returns the change is on disk
   * (the consumer acknowledges the event then, so it is never delivered again).
   */
  private async save(): Promise<void> {
    const state: IndexFile = {
      version: 1,
      datasets: Object.fromEntries(this.datasets),
      deleted: Object.fromEntries(this.deleted),
      recentEventIds: [...this.recentEventIds],
    };
    await writeFileDurably(this.file, JSON.stringify(state), `${this.file}.${nonce()}.tmp`);
  }
}
