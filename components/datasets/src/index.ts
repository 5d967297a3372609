export { isOwner, parseDatasetId, parseOwner } from './lib/dataset-id';
// Defined by storage beside DatasetId; re-exported for the bricks that speak in datasets.
export { formatDatasetId } from '@metastore/storage';
export { DatasetService, serializeDescriptor } from './lib/dataset.service';
export type { DatasetServiceDependencies, DatasetSnapshot, DeleteOptions, WriteOptions, WriteResult } from './lib/dataset.service';
export { isJsonObject } from './lib/descriptor.model';
export type {
  Descriptor,
  DescriptorIssue,
  DescriptorReport,
  DescriptorWarning,
  JsonObject,
  ProfileVersion,
  ValidationOptions,
} from './lib/descriptor.model';
export { DescriptorValidator, MAX_DESCRIPTOR_DEPTH } from './lib/descriptor.validator';
export { DESCRIPTOR_ISSUE_CODES, LENIENT_CODES, descriptorCodesMarkdown } from './lib/descriptor.codes';
export type { DescriptorIssueCode } from './lib/descriptor.codes';
export { DESCRIPTOR_PATH, GITATTRIBUTES_PATH, lfsPointersOf, renderLfsPointer } from './lib/lfs-pointers';
export { NO_NUMBER_FORMS, numberFormsOf, numberFormsUnder, serializeWithForms } from './lib/number-forms';
export type { NumberForms } from './lib/number-forms';
export { summarizeDiff } from './lib/descriptor.diff';
export type { DiffSummary } from './lib/descriptor.diff';
