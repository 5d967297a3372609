import pino, { type Logger } from 'pino';
import { DatasetService } from '@metastore/datasets';
import { RevisionService } from '@metastore/revisions';
import type { DatasetStorage } from '@metastore/storage';
import { GitHubStorage } from '@metastore/storage-github';
import { LocalGitStorage } from '@metastore/storage-local';
import { TagService } from '@metastore/tags';
import type { ApiConfig } from './config';

/** Everything the HTTP layer needs, built once from configuration. */
export interface Dependencies {
  readonly config: ApiConfig;
  readonly logger: Logger;
  readonly storage: DatasetStorage;
  readonly datasets: DatasetService;
  readonly revisions: RevisionService;
  readonly tags: TagService;
}

/** The one place that picks the storage adapter from configuration. */
function createStorage(config: ApiConfig, logger: Logger): DatasetStorage {
  switch (config.storage.backend) {
    case 'local':
      return new LocalGitStorage(config.storage.local);
    case 'github':
      return new GitHubStorage(config.storage.github, { logger: logger.child({ component: 'storage-github' }) });
  }
}

/** Builds the services over the configured storage (or over `storage` when given, e.g. in tests). */
export function buildDependencies(config: ApiConfig, overrides: { storage?: DatasetStorage; logger?: Logger } = {}): Dependencies {
  const logger =
    overrides.logger ??
    pino({
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    });
  const storage = overrides.storage ?? createStorage(config, logger);
  const datasets = new DatasetService({ storage });
  return {
    config,
    logger,
    storage,
    datasets,
    revisions: new RevisionService(storage, datasets),
    tags: new TagService(storage),
  };
}
