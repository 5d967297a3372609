export { declarationsOf, presentValues, PROCESS_NAMES } from './lib/environment';
export type { Environment, EnvironmentValues, ProcessName, VariableDeclaration, VariableMeta, VariableSchema } from './lib/environment';
export { createLogger } from './lib/logger';
export type { LogOutput } from './lib/logger';
export { LOG_LEVELS, publicUrlOf } from './lib/runtime.variables';
export type { LogLevel } from './lib/runtime.variables';
export { STORAGE_BACKEND_NAMES, STORAGE_BACKENDS, defineStorageBackend, storageBackend } from './lib/storage-backends';
export type { StorageBackend, StorageBackendName, StorageConfigContext, StorageCreateContext } from './lib/storage-backends';
export {
  loadApiConfig,
  loadCliConfig,
  loadIndexerConfig,
  loadTokenConfig,
  loadWorkerConfig,
  PROCESS_VARIABLES,
  storageVariables,
} from './lib/runtime.config';
export type {
  ApiConfig,
  CatalogDatabaseSettings,
  CliConfig,
  DatasetProcessConfig,
  EventSettings,
  IndexerConfig,
  StorageSelection,
  TokenConfig,
  WorkerConfig,
} from './lib/runtime.config';
export { openCatalog, openChangeJournal, openEventStream, openStorage, resolveJwtSettings } from './lib/runtime.open';
export type { ClosableEventStream, JwtSettings } from './lib/runtime.open';
export { configurationTables, declaredVariables, readmeDifferences, renderTable, writeConfigurationTables } from './lib/configuration.docs';
export type { ConfigurationRow, ConfigurationTable } from './lib/configuration.docs';
export { webhookDatasetOf } from './lib/webhook-repositories';
export type { HostedRepository, WebhookDataset } from './lib/webhook-repositories';
