import { AlreadyExistsError, NotFoundError } from '@metastore/errors';
import type { DatasetId } from './storage.model';

/** `owner/name`: the one form of a dataset id in messages, logs, events and in-process keys. */
export function formatDatasetId(id: DatasetId): string {
  return `${id.owner}/${id.name}`;
}

/** The dataset does not exist (DATASET_NOT_FOUND). */
export function datasetNotFound(id: DatasetId): NotFoundError {
  return new NotFoundError('DATASET_NOT_FOUND', `dataset ${formatDatasetId(id)} does not exist`);
}

/** No revision, tag or branch of that name (REF_NOT_FOUND). */
export function refNotFound(id: DatasetId, ref: string): NotFoundError {
  return new NotFoundError('REF_NOT_FOUND', `no revision, tag or branch '${ref}' in ${formatDatasetId(id)}`);
}

/** No such revision (REVISION_NOT_FOUND). */
export function revisionNotFound(id: DatasetId, sha: string): NotFoundError {
  return new NotFoundError('REVISION_NOT_FOUND', `no revision ${sha} in ${formatDatasetId(id)}`);
}

/** No such tag (TAG_NOT_FOUND). */
export function tagNotFound(id: DatasetId, name: string): NotFoundError {
  return new NotFoundError('TAG_NOT_FOUND', `no tag '${name}' in ${formatDatasetId(id)}`);
}

/** The dataset exists already (DATASET_ALREADY_EXISTS). */
export function datasetAlreadyExists(id: DatasetId): AlreadyExistsError {
  return new AlreadyExistsError('DATASET_ALREADY_EXISTS', `dataset ${formatDatasetId(id)} already exists`);
}

/** The tag exists already (TAG_ALREADY_EXISTS). */
export function tagAlreadyExists(id: DatasetId, name: string): AlreadyExistsError {
  return new AlreadyExistsError('TAG_ALREADY_EXISTS', `tag '${name}' already exists in ${formatDatasetId(id)}`);
}

/** Tag `name` cannot exist beside tag `existing` (one would be a directory of the other): TAG_ALREADY_EXISTS naming it. */
export function tagNameConflict(id: DatasetId, name: string, existing: string): AlreadyExistsError {
  return new AlreadyExistsError(
    'TAG_ALREADY_EXISTS',
    `tag '${name}' cannot be created in ${formatDatasetId(id)}: tag '${existing}' exists, and a tag name cannot also be a prefix of another up to a '/'`,
  );
}
