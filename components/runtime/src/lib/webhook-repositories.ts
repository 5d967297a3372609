import { parseDatasetId } from '@metastore/datasets';
import { ValidationError } from '@metastore/errors';
import type { DatasetId } from '@metastore/storage';
import type { GitHubStorageConfig } from '@metastore/storage-github';
import type { GitLabStorageConfig } from '@metastore/storage-gitlab';
import type { StorageSelection } from './runtime.config';

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
  if (storage.backend !== repository.host) return { ignored: `datasets are not stored on ${repository.host} here` };
  let relative = repository.path;
  let topic: string;
  if (storage.backend === 'github') {
    topic = (storage.settings as GitHubStorageConfig).topic;
  } else {
    const settings = storage.settings as GitLabStorageConfig;
    topic = settings.topic;
    if (settings.rootGroup) {
      const prefix = `${settings.rootGroup}/`;
      if (!relative.startsWith(prefix)) return { ignored: 'the repository is outside the root group' };
      relative = relative.slice(prefix.length);
    }
  }
  const parts = relative.split('/');
  if (parts.length !== 2) return { ignored: 'the repository is not mapped to a dataset' };
  if (repository.topics !== undefined && !repository.topics.includes(topic))
    return { ignored: 'the repository is not marked as a dataset' };
  try {
    return { dataset: parseDatasetId(parts[0], parts[1]) };
  } catch (error) {
    if (error instanceof ValidationError) return { ignored: 'the repository name is no dataset id' };
    throw error;
  }
}
