import { parseDatasetId } from '@metastore/datasets';
import { ValidationError } from '@metastore/errors';
import type { DatasetId } from '@metastore/storage';
import type { StorageSelection } from './runtime.config';
import { storageBackend } from './storage-backends';

/** The repository a webhook delivery is about, as its payload names it. */
export interface HostedRepository {
  /** The git host that sent the delivery. */
  readonly host: 'github' | 'gitlab';
  /** GitHub's `repository.full_name` (`owner/name`), GitLab's `project.path_with_namespace` (`group/subgroup/name`). */
  readonly path: string;
  /** Its topics, when the payload carries them (GitHub's do; GitLab's push payloads do not). */
  readonly topics?: readonly string[];
}

/** The dataset a repository holds under the configured storage, or why a delivery about it is ignored. */
export type WebhookDataset = { readonly dataset: DatasetId } | { readonly ignored: string };

/**
 * The dataset a webhook's repository holds, by the configured backend's own mapping: on GitHub the repository `owner/name`
 * marked with `GITHUB_TOPIC`; on GitLab the project `<GITLAB_ROOT_GROUP>/<owner>/<name>` (without a root group,
 * `<owner>/<name>`), whose topic the adapter checks when it reads it (GitLab's push payloads carry none). A delivery from
 * another host than the one datasets are stored on, or about a repository outside the mapping, is ignored.
 */
export function webhookDatasetOf(storage: StorageSelection, repository: HostedRepository): WebhookDataset {
  const { webhook } = storageBackend(storage.backend);
  if (storage.backend !== repository.host || !webhook) return { ignored: `datasets are not stored on ${repository.host} here` };
  const relative = webhook.relativePath(storage.settings, repository.path);
  if (relative === undefined) return { ignored: 'the repository is outside the root group' };
  const parts = relative.split('/');
  if (parts.length !== 2) return { ignored: 'the repository is not mapped to a dataset' };
  if (repository.topics !== undefined && !repository.topics.includes(webhook.topic(storage.settings)))
    return { ignored: 'the repository is not marked as a dataset' };
  try {
    return { dataset: parseDatasetId(parts[0], parts[1]) };
  } catch (error) {
    if (error instanceof ValidationError) return { ignored: 'the repository name is no dataset id' };
    throw error;
  }
}
