import { once } from 'node:events';
import { createApp } from './app';
import { loadConfig } from './config';
import { buildDependencies } from './dependencies';

/** Starts the API: validated configuration, one dependency graph, graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`metastore: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const dependencies = buildDependencies(config);
  await dependencies.storage.checkReady();
  const server = createApp(dependencies).listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  dependencies.logger.info(
    { port, storage: dependencies.storage.backend, ...(config.storage.backend === 'local' ? { dataDir: config.storage.local.dataDir } : {}) },
    `Metastore API listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port} (docs at /docs)`,
  );
  const shutdown = (signal: string) => {
    dependencies.logger.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`metastore: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
