export type { ChangedDatasets, DatasetStorage, StorageUsage } from './lib/dataset-storage.port';
export type { ClientLogger, RateLimitBudget } from './lib/host-client.model';
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
export {
  authorIssues,
  conflictingTagName,
  findConflictingTagName,
  FULL_SHA_PATTERN,
  IDENTITY_FORBIDDEN,
  isFullSha,
  isGitRefName,
  isIdentityEmail,
  isValidRef,
  MAX_REF_BYTES,
  REF_RULE,
  refIssues,
  validateAuthor,
  validateRef,
} from './lib/git-names';
export type { TagLookup } from './lib/git-names';
export {
  datasetAlreadyExists,
  datasetNotFound,
  formatDatasetId,
  refNotFound,
  revisionNotFound,
  tagAlreadyExists,
  tagNameConflict,
  tagNotFound,
} from './lib/storage.errors';
