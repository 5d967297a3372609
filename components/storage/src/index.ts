export type { DatasetStorage } from './lib/dataset-storage.port';
export type {
  Author,
  CommitRequest,
  CreateDatasetRequest,
  DatasetId,
  DeleteDatasetOptions,
  FileChange,
  Page,
  PageRequest,
  Revision,
  Tag,
  TagRequest,
} from './lib/storage.model';
export { KeyedLock } from './lib/keyed-lock';
export { datasetAlreadyExists, datasetNotFound, refNotFound, revisionNotFound, tagAlreadyExists, tagNotFound } from './lib/storage.errors';
