import { setTimeout as sleep } from 'node:timers/promises';
import { NOTHING_RECONCILED, type ReconcileSummary } from '@metastore/catalog';
import type { DatasetStorage } from '@metastore/storage';
import type { CatalogJobDependencies } from './dependencies';
import type { SyncMetrics } from './metrics';

/** One run's structured summary (logged once per run as `sync run finished`): what it compared, recorded and cost. */
export interface RunReport extends Omit<ReconcileSummary, 'datasets'> {
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Datasets compared with storage one by one (in an incremental run, those pushed to since the watermark). */
  readonly checked: number;
  /** Events recorded: created + updated + deleted + tag changes. */
  readonly events: number;
  /** Requests to the git host during the run (absent when the storage does not count them, e.g. local disk). */
  readonly apiCalls?: { readonly requests: number; readonly counted: number; readonly notModified: number };
  /** Events published from the outbox (absent without a relay). */
  readonly published?: number;
  /** No dataset, owner listing or publishing failed, and the run was not interrupted. */
  readonly ok: boolean;
}

/** What one run did: the reconcile's summary, events published (absent without a relay), whether all of it succeeded, and its report. */
export interface RunResult {
  readonly summary: ReconcileSummary;
  readonly published?: number;
  readonly ok: boolean;
  readonly report: RunReport;
}

/** How a run goes: in full (`--full`), with metrics to record it in, and the clock. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly full?: boolean;
  readonly metrics?: Pick<SyncMetrics, 'record'>;
  readonly now?: () => Date;
}

/** What a run needs; the storage only to count its requests (absent: no `apiCalls` in the report). */
type RunDependencies = Pick<CatalogJobDependencies, 'sync' | 'logger'> & { readonly storage?: Pick<DatasetStorage, 'usage'> };

/** The report of a reconcile (and the publishing after it), with the storage requests made meanwhile. */
function reportOf(
  summary: ReconcileSummary,
  startedAt: Date,
  endedAt: Date,
  usage: { before?: { requests: number; notModified: number }; after?: { requests: number; notModified: number } },
  outcome: { ok: boolean; published?: number },
): RunReport {
  const { before, after } = usage;
  const { datasets, ...counts } = summary;
  const requests = before && after ? after.requests - before.requests : undefined;
  const notModified = before && after ? after.notModified - before.notModified : undefined;
  return {
    startedAt,
    durationMs: endedAt.getTime() - startedAt.getTime(),
    checked: datasets,
    events: counts.created + counts.updated + counts.deleted + counts.tagChanges,
    ...counts,
    ...(requests !== undefined && notModified !== undefined
      ? { apiCalls: { requests, counted: requests - notModified, notModified } }
      : {}),
    ...(outcome.published !== undefined ? { published: outcome.published } : {}),
    ok: outcome.ok,
  };
}

/** The report of a run whose reconcile threw (the catalog unreachable, say): nothing compared, not ok. */
function failedReport(startedAt: Date, endedAt: Date): RunReport {
  return reportOf({ ...NOTHING_RECONCILED, failures: 1 }, startedAt, endedAt, {}, { ok: false });
}

/** Reconciles once; `publish` (the outbox drain, in once mode) runs after it. Logs the run's report and records it in the metrics. */
async function reconcileAndReport(
  dependencies: RunDependencies,
  options: RunOptions,
  publish: () => Promise<{ ok: boolean; published?: number }>,
): Promise<RunResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const before = dependencies.storage?.usage?.();
  let summary: ReconcileSummary;
  try {
    summary = await dependencies.sync.reconcile({
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.full ? { full: true } : {}),
    });
  } catch (error) {
    const report = failedReport(startedAt, now());
    options.metrics?.record(report);
    dependencies.logger.error({ err: error, ...report }, 'sync run failed');
    throw error;
  }
  const published = await publish();
  const ok = summary.failures === 0 && published.ok && !options.signal?.aborted;
  const report = reportOf(summary, startedAt, now(), { before, after: dependencies.storage?.usage?.() }, { ...published, ok });
  options.metrics?.record(report);
  dependencies.logger.info({ ...report }, 'sync run finished');
  return { summary, ...(published.published !== undefined ? { published: published.published } : {}), ok, report };
}

/** One run (the CronJob's): reconcile the catalog with storage, then publish what waits in the outbox. */
export async function runOnce(
  dependencies: RunDependencies & Pick<CatalogJobDependencies, 'relay' | 'outbox'>,
  signalOrOptions?: AbortSignal | RunOptions,
): Promise<RunResult> {
  const options: RunOptions = signalOrOptions instanceof AbortSignal ? { signal: signalOrOptions } : (signalOrOptions ?? {});
  const { logger } = dependencies;
  return reconcileAndReport(dependencies, options, async () => {
    if (!dependencies.relay) {
      logger.info(
        { pending: await dependencies.outbox.pendingCount().catch(() => undefined) },
        'REDIS_URL is not set: events wait in the outbox for the API to publish',
      );
      return { ok: true };
    }
    try {
      return { ok: true, published: await dependencies.relay.drain() };
    } catch (error) {
      logger.error({ err: error }, 'could not publish the outbox; its events wait for the next run');
      return { ok: false };
    }
  });
}

/**
 * Reconciles every `intervalMs` until `signal` aborts; the relay runs meanwhile and is nudged after each
 * run. A failed run is logged and the loop goes on (the next run retries).
 */
export async function runLoop(
  dependencies: RunDependencies & Pick<CatalogJobDependencies, 'relay'>,
  intervalMs: number,
  signal: AbortSignal,
  options: Omit<RunOptions, 'signal'> = {},
): Promise<void> {
  const { relay } = dependencies;
  relay?.start();
  try {
    while (!signal.aborted) {
      try {
        await reconcileAndReport(dependencies, { ...options, signal }, async () => {
          relay?.nudge();
          return { ok: true };
        });
      } catch {
        // Logged with its report ('sync run failed'); the next interval retries.
      }
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await relay?.stop();
  }
}
