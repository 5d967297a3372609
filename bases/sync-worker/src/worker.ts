import { setTimeout as sleep } from 'node:timers/promises';
import type { ReconcileSummary } from '@metastore/catalog';
import type { CatalogJobDependencies } from './dependencies';

/** What one run did: the reconcile's summary, events published (absent without a relay), and whether all of it succeeded. */
export interface RunResult {
  readonly summary: ReconcileSummary;
  readonly published?: number;
  readonly ok: boolean;
}

/** One run (the CronJob's): reconcile the catalog with storage, then publish what waits in the outbox. */
export async function runOnce(
  dependencies: Pick<CatalogJobDependencies, 'sync' | 'relay' | 'outbox' | 'logger'>,
  signal?: AbortSignal,
): Promise<RunResult> {
  const { logger } = dependencies;
  const summary = await dependencies.sync.reconcile(signal ? { signal } : {});
  let ok = summary.failures === 0;
  let published: number | undefined;
  if (dependencies.relay) {
    try {
      published = await dependencies.relay.drain();
    } catch (error) {
      ok = false;
      logger.error({ err: error }, 'could not publish the outbox; its events wait for the next run');
    }
  } else {
    logger.info(
      { pending: await dependencies.outbox.pendingCount().catch(() => undefined) },
      'REDIS_URL is not set: events wait in the outbox for the API to publish',
    );
  }
  logger.info({ ...summary, ...(published !== undefined ? { published } : {}), ok }, 'sync run finished');
  return { summary, ...(published !== undefined ? { published } : {}), ok };
}

/**
 * Reconciles every `intervalMs` until `signal` aborts; the relay runs meanwhile and is nudged after each
 * run. A failed run is logged and the loop goes on (the next run retries).
 */
export async function runLoop(
  dependencies: Pick<CatalogJobDependencies, 'sync' | 'relay' | 'logger'>,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  const { logger, relay } = dependencies;
  relay?.start();
  try {
    while (!signal.aborted) {
      try {
        const summary = await dependencies.sync.reconcile({ signal });
        relay?.nudge();
        logger.info({ ...summary }, 'sync run finished');
      } catch (error) {
        logger.error({ err: error }, 'sync run failed; retrying at the next interval');
      }
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await relay?.stop();
  }
}
