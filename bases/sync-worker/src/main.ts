import { loadWorkerConfig, type WorkerConfig } from '@metastore/runtime';
import { createLogger, openDependencies, type CatalogJobDependencies } from './dependencies';
import { SyncMetrics } from './metrics';
import { runLoop, runOnce } from './worker';

/** How long a SIGTERM waits for the datasets in flight before giving up (Kubernetes allows 30 s by default). */
const SHUTDOWN_GRACE_MS = 25_000;

/**
 * The sync worker: reconciles the catalog with storage and publishes the outbox. `SYNC_MODE=once` runs
 * once and exits 0, or 1 when a dataset or the publishing failed (a Kubernetes CronJob); `loop` runs every
 * `SYNC_INTERVAL_SECONDS` until SIGTERM. Configuration errors exit 2.
 */
async function main(): Promise<number> {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(process.env);
  } catch (error) {
    process.stderr.write(`metastore-sync-worker: ${(error as Error).message}\n`);
    return 2;
  }
  const logger = createLogger(config, { service: 'metastore-sync-worker', fd: 1 });
  const controller = new AbortController();
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping after the datasets in flight');
    controller.abort();
    setTimeout(() => {
      logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'did not stop in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  let dependencies: CatalogJobDependencies | undefined;
  try {
    // The migrations are applied first, as the API does at start: a worker scheduled before the API's first start finds the tables it
    // needs.
    dependencies = await openDependencies(config, logger, {}, { fullSyncEveryMs: config.fullSyncEveryHours * 3_600_000 });
    await Promise.all([dependencies.storage.checkReady(), dependencies.catalog.checkReady()]);
    logger.info(
      { mode: config.mode, storage: dependencies.storage.backend, publishing: dependencies.relay !== undefined },
      'sync worker started',
    );
    const { port, file } = config.metrics;
    const metrics =
      port !== undefined || file !== undefined
        ? new SyncMetrics({
            ...(file !== undefined ? { file } : {}),
            onWriteError: (error) => logger.error({ err: error, file }, 'could not write the metrics file'),
          })
        : undefined;
    if (config.mode === 'loop') {
      const server = metrics && port !== undefined ? await metrics.serve(port) : undefined;
      try {
        await runLoop(dependencies, config.intervalSeconds * 1000, controller.signal, metrics ? { metrics } : {});
      } finally {
        server?.close();
        await metrics?.flush();
      }
      return 0;
    }
    const result = await runOnce(dependencies, { signal: controller.signal, ...(metrics ? { metrics } : {}) });
    await metrics?.flush();
    return result.ok && !controller.signal.aborted ? 0 : 1;
  } catch (error) {
    logger.error({ err: error }, 'sync run failed');
    return 1;
  } finally {
    await dependencies?.close();
  }
}

// Exit explicitly: a client library's idle timer must not keep a finished CronJob pod alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`metastore-sync-worker: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
