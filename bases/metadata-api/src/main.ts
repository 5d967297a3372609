import { once } from 'node:events';
import { loadApiConfig } from '@metastore/runtime';
import { createServer } from './app';
import { buildDependencies, buildLogger } from './dependencies';
import { prepareDrain } from './http/drain';
import { openInfrastructure } from './infrastructure';

/** Starts the API: validated configuration, one dependency graph, graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadApiConfig(process.env);
  } catch (error) {
    process.stderr.write(`metastore: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const bootLogger = buildLogger(config);
  const infrastructure = await openInfrastructure(config, bootLogger);
  const dependencies = buildDependencies(config, infrastructure, { logger: bootLogger });
  await dependencies.storage.checkReady();
  // What an earlier process journaled is recorded before any new request (then the loop keeps draining in the background).
  await dependencies.journal
    .drain()
    .catch((error: unknown) =>
      dependencies.logger.warn({ err: error }, 'could not record the journaled changes at start; retrying in the background'),
    );
  dependencies.journal.start();
  dependencies.relay?.start();
  const server = createServer(dependencies).listen(config.port, config.host);
  const drain = prepareDrain(server);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  dependencies.logger.info(
    {
      port,
      storage: dependencies.storage.backend,
      catalog: infrastructure.database,
      events: infrastructure.stream ? 'redis' : 'outbox only (set REDIS_URL to publish)',
      ...(config.storage.backend === 'local' ? { dataDir: config.storage.local.dataDir } : {}),
    },
    `Metastore API listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port} (docs at /docs)`,
  );
  if (infrastructure.jwt.localSecret) {
    dependencies.logger.info(
      { secretFile: infrastructure.createdSecretFile ?? 'kept in the data directory (jwt-secret)' },
      'API calls need a bearer token signed with this installation\'s secret: get one with `npm run metastore -- token --sub you --role "*=admin"` (same METASTORE_DATA_DIR), then send `Authorization: Bearer <token>`',
    );
  }
  const shutdown = (signal: string) => {
    dependencies.logger.info({ signal }, 'shutting down');
    // Open connections end after their current response (cut at 9 s); then the background work stops, then the catalog.
    void drain().then(async () => {
      await dependencies.webhookSync.stop();
      await dependencies.journal.stop();
      await dependencies.relay?.stop();
      await infrastructure.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`metastore: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
