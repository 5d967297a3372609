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
export { authorIssues, IDENTITY_FORBIDDEN, isIdentityEmail, isValidRef, MAX_REF_BYTES, REF_RULE, refIssues, validateAuthor, validateRef } from './lib/git-names';
export { datasetAlreadyExists, datasetNotFound, refNotFound, revisionNotFound, tagAlreadyExists, tagNotFound } from './lib/storage.errors';
