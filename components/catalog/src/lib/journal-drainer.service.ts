import { formatDatasetId } from '@metastore/datasets';
import { NotFoundError } from '@metastore/errors';
import { BackoffLoop, eventFromChange, type DatasetChange, type EventBuilderOptions } from '@metastore/events';
import type { DatasetId, DatasetStorage, Tag } from '@metastore/storage';
import type { ApplyOutcome, CatalogUpdate } from './catalog.model';
import type { CatalogStore } from './catalog.port';
import { sameTag } from './catalog-expectation';
import type { ChangeJournal, JournalEntry } from './change-journal.port';
import { DatasetReconciler, foundTagChange, mapConcurrently } from './dataset-reconciler';

/** Where the drainer reports what it recorded, dropped, set aside, and that the catalog does not answer. */
export interface JournalLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** How the drainer stamps events, whom it tells, and how it paces itself. */
export interface JournalDrainerOptions {
  readonly events: EventBuilderOptions;
  readonly clock?: () => Date;
  readonly logger?: JournalLogger;
  /** Called after changes were recorded (the outbox relay's nudge). */
  readonly onRecorded?: () => void;
  /** The first wait after a drain failed (default 1 s), doubling after each failure up to `maxRetryMs`. */
  readonly retryMs?: number;
  /**
   * The longest wait between attempts while the catalog does not answer (default 30 s); also how often an idle loop looks at the journal.
   */
  readonly maxRetryMs?: number;
  /** Entries read at a time (default 100). */
  readonly batchSize?: number;
  /** Attempts at one entry, failing while the catalog otherwise answers, before it is set aside (default 3). */
  readonly maxEntryFailures?: number;
}

/** What one drain did. */
export interface DrainSummary {
  /** Entries recorded with their event. */
  readonly applied: number;
  /** Entries dropped because the catalog had moved on (the sync worker recorded the change first). */
  readonly stale: number;
  /** Entries moved aside: unreadable, or failing while the catalog answers. */
  readonly setAside: number;
}

/** What the drainer can say right now, for readiness and metrics. */
export interface JournalStatus {
  /** Entries waiting. */
  readonly pending: number;
  /** Since when drains fail (the catalog does not answer); absent while they succeed. */
  readonly failingSince?: Date;
}

/** Revisions a catch-up after a stale entry walks; a longer gap is left to the sync worker. */
const CATCH_UP_REVISIONS = 100;
/** Datasets drained at once (each one's entries in order). */
const DATASET_CONCURRENCY = 4;

type Counts = { applied: number; stale: number; setAside: number };

/** What one drain pass keeps: its counts, the datasets to catch up at its end, and (once needed) the tag states the journal leads to. */
interface Pass {
  readonly summary: Counts;
  readonly behind: Map<string, DatasetId>;
  tagStates?: Promise<Map<string, { sequence: number; state: Tag | undefined }[]>>;
}

const tagKey = (id: DatasetId, name: string) => `${formatDatasetId(id)}\u0000${name}`;

/**
 * Records what the API journaled while the catalog did not answer, oldest first (datasets at once, each one's entries
 * in order), each entry in its own transaction with the event it would have had then (`revertedTo`, the intermediate
 * states of a tag: everything git does not keep), removing an entry only after its transaction committed. An entry the
 * catalog does not expect is either behind it (the sync worker recorded it, or what came after it, first, from git:
 * dropped as stale, so nothing is recorded twice) or ahead of it (the catalog missed a change made before the entry's:
 * that change is recorded first, as the sync would have found it, then the entry as made). A dataset with a stale entry
 * is caught up from storage once the journal is empty, as `CatalogedStorage` does for a write it finds the catalog
 * behind on.
 *
 * Runs as a loop (`start`): a drain at once, then again when nudged after an append (unless the catalog is known down),
 * when told the catalog answered again, after a backoff while it does not (1 s doubling to 30 s), and every
 * `maxRetryMs` while idle (entries another process left). `drain` runs one pass.
 */
export class JournalDrainer {
  private readonly reconciler: DatasetReconciler;
  private readonly loop: BackoffLoop;
  private readonly batchSize: number;
  private readonly maxEntryFailures: number;
  private readonly failures = new Map<string, number>();
  /** One drain at a time: a second caller waits for the one in flight and then runs its own pass. */
  private draining: Promise<unknown> = Promise.resolve();

  constructor(
    storage: DatasetStorage,
    private readonly catalog: CatalogStore,
    private readonly journal: ChangeJournal,
    private readonly options: JournalDrainerOptions,
  ) {
    const retryMs = options.retryMs ?? 1000;
    const maxRetryMs = Math.max(retryMs, options.maxRetryMs ?? 30_000);
    this.loop = new BackoffLoop(() => this.drain(), {
      idleMs: maxRetryMs,
      retryMs,
      maxRetryMs,
      ...(options.clock ? { clock: options.clock } : {}),
      onFailure: async (error, retryInMs) =>
        options.logger?.warn(
          { err: error, pending: await journal.pending().catch(() => undefined), retryInMs },
          'the catalog does not answer; journaled changes wait',
        ),
    });
    this.batchSize = options.batchSize ?? 100;
    this.maxEntryFailures = options.maxEntryFailures ?? 3;
    const logger = options.logger;
    this.reconciler = new DatasetReconciler(storage, catalog, {
      events: options.events,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(logger ? { logger } : {}),
    });
  }

  /** Entries waiting, and since when draining fails. */
  async status(): Promise<JournalStatus> {
    const failingSince = this.loop.failingSince;
    return { pending: await this.journal.pending(), ...(failingSince ? { failingSince } : {}) };
  }

  /**
   * Records every entry, in order, until the journal is empty; rejects with the catalog's error when it does not answer
   * (the entry stays, and later ones wait behind it).
   */
  drain(): Promise<DrainSummary> {
    const pass = this.draining.catch(() => undefined).then(() => this.drainPass());
    this.draining = pass;
    return pass;
  }

  /** Starts the loop in the background; its first pass drains what an earlier process left. */
  start(): void {
    this.loop.start();
  }

  /** Asks the loop to drain now (after an append); ignored while the catalog is known not to answer, where the backoff decides. */
  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Tells the loop that a catalog call succeeded: while drains fail, it tries again now (at most once per `retryMs`) and the backoff starts
   * over.
   */
  catalogAnswered(): void {
    this.loop.retryNow();
  }

  /** Stops the loop after the pass in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async drainPass(): Promise<DrainSummary> {
    const pass: Pass = { summary: { applied: 0, stale: 0, setAside: 0 }, behind: new Map() };
    for (;;) {
      const entries = await this.journal.read(this.batchSize);
      if (entries.length === 0) break;
      const byDataset = new Map<string, JournalEntry[]>();
      for (const entry of entries) {
        if (!entry.change) {
          this.options.logger?.error(
            { entry: entry.key, problem: entry.problem },
            'an unreadable journal entry was set aside; the sync worker records its change from git',
          );
          await this.journal.setAside(entry, entry.problem ?? 'unreadable');
          pass.summary.setAside += 1;
          continue;
        }
        const key = formatDatasetId(entry.change.change.id);
        byDataset.set(key, [...(byDataset.get(key) ?? []), entry]);
      }
      // Datasets at once, each one's entries in order: the first failure stops its dataset, then the pass.
      let failure: { error: unknown } | undefined;
      await mapConcurrently([...byDataset.values()], DATASET_CONCURRENCY, async (group) => {
        for (const entry of group) {
          if (failure) return;
          try {
            await this.drainEntry(entry, pass);
          } catch (error) {
            failure ??= { error };
            return;
          }
        }
      });
      if (failure) throw failure.error;
    }
    const { summary } = pass;
    if (summary.applied > 0) this.options.onRecorded?.();
    for (const id of pass.behind.values()) await this.catchUp(id);
    if (summary.applied + summary.stale + summary.setAside > 0)
      this.options.logger?.info({ ...summary }, 'journaled changes recorded in the catalog');
    return { ...summary };
  }

  private async drainEntry(entry: JournalEntry, pass: Pass): Promise<void> {
    const { change } = entry.change!;
    const dataset = formatDatasetId(change.id);
    let outcome;
    try {
      outcome = await this.record(entry, pass);
    } catch (error) {
      if (!(await this.catalogAnswers())) throw error;
      // The database answers, yet this entry fails: after a few tries it is set aside rather than hold up every other one.
      const failures = (this.failures.get(entry.key) ?? 0) + 1;
      this.failures.set(entry.key, failures);
      if (failures < this.maxEntryFailures) throw error;
      this.failures.delete(entry.key);
      this.options.logger?.error(
        { err: error, entry: entry.key, dataset, type: change.type },
        'a journal entry the catalog keeps refusing was set aside; the sync worker records its change from git',
      );
      await this.journal.setAside(entry, `refused ${failures} times: ${(error as Error).message}`);
      pass.summary.setAside += 1;
      pass.behind.set(dataset, change.id);
      return;
    }
    this.failures.delete(entry.key);
    if (outcome === 'stale') {
      this.options.logger?.info(
        { entry: entry.key, dataset, type: change.type },
        'the catalog already moved past a journaled change (the sync recorded it); dropped',
      );
      pass.summary.stale += 1;
      pass.behind.set(dataset, change.id);
    } else {
      pass.summary.applied += 1;
    }
    await this.journal.remove(entry);
  }

  /** Applies an entry; when the catalog is not as it expects, records it after what the catalog missed, or finds it stale. */
  private async record(entry: JournalEntry, pass: Pass): Promise<ApplyOutcome> {
    const update = await this.updateOf(entry);
    if (update && (await this.catalog.apply(update)) === 'applied') return 'applied';
    try {
      return await this.recordBehind(entry, pass);
    } catch (error) {
      // What it needs from storage is gone (the dataset was deleted since): the end-of-pass catch-up says so.
      if (error instanceof NotFoundError) return 'stale';
      throw error;
    }
  }

  /**
   * An entry the catalog does not expect is either behind it (the sync recorded it, or what came after it, first: stale)
   * or ahead of it: the catalog missed a change made before the entry's (a write whose process was killed before
   * recording it, a push). Then the missed change is recorded first, as the sync would have found it, and the entry as
   * made: a commit after catching the history up to the revision it was made on, a tag change after the found change
   * from the recorded tag to the one it was made on. Whether the catalog is behind or ahead: for a commit, whether the
   * catalog's head is an ancestor of the entry's parent; for a tag, whether its recorded state is one this entry or a
   * later one leads to (git keeps no tag history; the journal does), and, when that state is the tag's absence, whether
   * the catalog announced the state the entry expected leaving (else it never recorded the tag).
   */
  private async recordBehind(entry: JournalEntry, pass: Pass): Promise<ApplyOutcome> {
    const { change, update } = entry.change!;
    const parent = update.expect?.head;
    if (update.entry && typeof parent === 'string') {
      if (!(await this.reconciler.catchUpTo(change.id, parent, CATCH_UP_REVISIONS))) return 'stale';
      const retried = await this.updateOf(entry);
      return retried ? this.catalog.apply(retried) : 'stale';
    }
    const expected = update.expect?.tag;
    if (!expected) return 'stale';
    const recorded = await this.catalog.getTag(change.id, expected.name);
    // A tag absent from the catalog is ambiguous: recorded, and its leaving announced (by the sync, or by this entry
    // whose commit's answer was lost): stale; or never recorded (its creation written to git by a killed process):
    // then its creation, as found, is recorded before the entry.
    if (
      (await this.leadsTo(entry, expected.name, recorded, pass)) &&
      (recorded !== undefined || !expected.state || (await this.catalog.announcedTagLeaving(change.id, expected.state)))
    ) {
      return 'stale';
    }
    const base: Pick<DatasetChange, 'id' | 'backend' | 'location' | 'origin'> = {
      id: change.id,
      backend: change.backend,
      location: change.location,
      origin: 'sync',
    };
    // The tag the change was made on (what the entry expected, or what it found the catalog had missed).
    const madeOn = change.type === 'tag.created' ? undefined : change.previousTag;
    const missed = foundTagChange(base, recorded, madeOn, () => this.now());
    if (!missed) return 'stale';
    return this.catalog.apply({
      ...update,
      dataset: change.id,
      expect: { tag: { name: expected.name, state: recorded ?? null } },
      events: [eventFromChange(missed, this.options.events), eventFromChange(change, this.options.events)],
    });
  }

  /** Whether `entry` or a later one turns the tag into `state` (the catalog then holds what the sync found after them). */
  private async leadsTo(entry: JournalEntry, name: string, state: Tag | undefined, pass: Pass): Promise<boolean> {
    pass.tagStates ??= this.tagStates();
    const states = (await pass.tagStates).get(tagKey(entry.change!.change.id, name)) ?? [];
    return states.some(
      (later) =>
        later.sequence >= entry.sequence &&
        (later.state === undefined ? state === undefined : state !== undefined && sameTag(later.state, state)),
    );
  }

  /** Every tag state the journal's entries lead to, by dataset and tag, in order. */
  private async tagStates(): Promise<Map<string, { sequence: number; state: Tag | undefined }[]>> {
    const states = new Map<string, { sequence: number; state: Tag | undefined }[]>();
    for (const entry of await this.journal.read(Number.MAX_SAFE_INTEGER)) {
      const change = entry.change?.change;
      const name = change?.tag?.name ?? change?.previousTag?.name;
      if (!change || !change.type.startsWith('tag.') || name === undefined) continue;
      const key = tagKey(change.id, name);
      states.set(key, [
        ...(states.get(key) ?? []),
        { sequence: entry.sequence, state: change.type === 'tag.deleted' ? undefined : change.tag },
      ]);
    }
    return states;
  }

  /** The catalog update recording an entry, its event built now; undefined when the row it needs is not as expected (stale). */
  private async updateOf(entry: JournalEntry): Promise<CatalogUpdate | undefined> {
    const { change, missed, update, createdAtFromCatalog } = entry.change!;
    let entryUpdate = update.entry;
    if (entryUpdate && createdAtFromCatalog) {
      const row = await this.catalog.getDataset(change.id);
      if (!row || row.deleted || row.headRevision !== update.expect?.head) return undefined;
      entryUpdate = { ...entryUpdate, createdAt: row.createdAt };
    }
    const events = [...(missed ? [missed] : []), change].map((made) => eventFromChange(made, this.options.events));
    return { ...update, ...(entryUpdate ? { entry: entryUpdate } : {}), dataset: change.id, events };
  }

  private async catalogAnswers(): Promise<boolean> {
    try {
      await this.catalog.checkReady();
      return true;
    } catch {
      return false;
    }
  }

  /** Brings a dataset with a stale entry level with storage; a failure is left to the sync worker. */
  private async catchUp(id: DatasetId): Promise<void> {
    try {
      const result = await this.reconciler.reconcile(id, { maxRevisions: CATCH_UP_REVISIONS });
      if (result.created + result.updated + result.deleted + result.tagChanges > 0) this.options.onRecorded?.();
    } catch (error) {
      this.options.logger?.warn(
        { err: error, dataset: formatDatasetId(id) },
        'could not catch the dataset up after a stale journal entry; the sync worker will',
      );
    }
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }
}
