import { AlreadyExistsError, NotFoundError } from '@metastore/errors';
import type { DatasetId } from './storage.model';

/** `owner/name`, as storage errors name a dataset. */
function label(id: DatasetId): string {
  return `${id.owner}/${id.name}`;
}

/** The dataset does not exist (DATASET_NOT_FOUND). */
export function datasetNotFound(id: DatasetId): NotFoundError {
  return new NotFoundError('DATASET_NOT_FOUND', `dataset ${label(id)} does not exist`);
}

/** No revision, tag or branch of that name (REF_NOT_FOUND). */
export function refNotFound(id: DatasetId, ref: string): NotFoundError {
  return new NotFoundError('REF_NOT_FOUND', `no revision, tag or branch '${ref}' in ${label(id)}`);
}

/** No such revision (REVISION_NOT_FOUND). */
export function revisionNotFound(id: DatasetId, sha: string): NotFoundError {
  return new NotFoundError('REVISION_NOT_FOUND', `no revision ${sha} in ${label(id)}`);
}

/** No such tag (TAG_NOT_FOUND). */
export function tagNotFound(id: DatasetId, name: string): NotFoundError {
  return new NotFoundError('TAG_NOT_FOUND', `no tag '${name}' in ${label(id)}`);
}

/** The dataset exists already (DATASET_ALREADY_EXISTS). */
export function datasetAlreadyExists(id: DatasetId): AlreadyExistsError {
  return new AlreadyExistsError('DATASET_ALREADY_EXISTS', `dataset ${label(id)} already exists`);
}

/** The tag exists already (TAG_ALREADY_EXISTS). */
export function tagAlreadyExists(id: DatasetId, name: string): AlreadyExistsError {
  return new AlreadyExistsError('TAG_ALREADY_EXISTS', `tag '${name}' already exists in ${label(id)}`);
}
