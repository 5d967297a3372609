import type { Logger } from 'pino';
import type { DatasetStorage } from '@metastore/storage';
import { gitHubStorageVariables, GitHubStorage, parseGitHubStorageConfig, type GitHubStorageConfig } from '@metastore/storage-github';
import { gitLabStorageVariables, GitLabStorage, parseGitLabStorageConfig, type GitLabStorageConfig } from '@metastore/storage-gitlab';
import { LocalGitStorage, type LocalGitStorageConfig } from '@metastore/storage-local';
import type { EnvironmentValues, ProcessName, VariableSchema } from './environment';

/** What a backend's config parser is given besides the environment. */
export interface StorageConfigContext {
  /** The process parsing it (defaults may differ: an API answers callers, a job may wait). */
  readonly process: ProcessName;
  /** The local settings, parsed for every backend: the data directory holds local state whatever the backend. */
  readonly local: LocalGitStorageConfig;
}

/** What a backend's factory is given besides its settings. */
export interface StorageCreateContext {
  readonly logger: Logger;
}

/**
 * A storage backend as the runtime knows it: the `STORAGE` value that selects it, the variables its adapter declares (the README's
 * table for it is generated from them; none: only the shared ones), how its settings are parsed, and how the adapter is made.
 */
export interface StorageBackend<Name extends string = string, Settings = unknown> {
  readonly name: Name;
  /** What it stores datasets in, a few words for `STORAGE`'s description (README: "`github` (<summary>)"). */
  readonly summary: string;
  /** The README section its variables are documented in (named in the docs check's messages), when it declares any. */
  readonly title?: string;
  readonly variables?: VariableSchema;
  parseConfig(values: EnvironmentValues, context: StorageConfigContext): Settings;
  create(settings: Settings, context: StorageCreateContext): DatasetStorage;
  /**
   * For a git host's webhooks (the host named like the backend): the topic that marks a repository as a dataset, and the
   * `owner/name` part of a repository path as the host names it (undefined: outside where datasets are kept). Absent: the
   * backend receives no webhooks.
   */
  readonly webhook?: {
    topic(settings: Settings): string;
    relativePath(settings: Settings, path: string): string | undefined;
  };
}

/** Declares a backend, keeping its name's literal type and checking `create` against `parseConfig`'s result. */
export function defineStorageBackend<const Name extends string, Settings>(
  backend: StorageBackend<Name, Settings>,
): StorageBackend<Name, Settings> {
  return backend;
}

/** Bare git repositories on local disk. */
const localBackend = defineStorageBackend({
  name: 'local',
  summary: 'bare git repositories on disk',
  parseConfig: (_values, { local }): LocalGitStorageConfig => local,
  create: (settings) => new LocalGitStorage(settings),
});

/** GitHub repositories through its REST API. */
const gitHubBackend = defineStorageBackend({
  name: 'github',
  summary: 'a GitHub repository per dataset',
  title: 'GitHub storage',
  variables: gitHubStorageVariables,
  // Nobody waits on a catalog job's answer and it writes nothing to GitHub: it may wait longer for a rate limit than the API.
  parseConfig: (values, { process }): GitHubStorageConfig =>
    parseGitHubStorageConfig(values, process === 'api' ? {} : { maxRateLimitWaitSeconds: 600 }),
  create: (settings, { logger }) => new GitHubStorage(settings, { logger: logger.child({ component: 'storage-github' }) }),
  webhook: { topic: (settings) => settings.topic, relativePath: (_settings, path) => path },
});

/** GitLab projects through its REST API (gitlab.com or self-managed). */
const gitLabBackend = defineStorageBackend({
  name: 'gitlab',
  summary: 'a GitLab project per dataset, on gitlab.com or self-managed',
  title: 'GitLab storage',
  variables: gitLabStorageVariables,
  parseConfig: (values, { process }): GitLabStorageConfig =>
    parseGitLabStorageConfig(values, process === 'api' ? {} : { maxRateLimitWaitSeconds: 600 }),
  create: (settings, { logger }) => new GitLabStorage(settings, { logger: logger.child({ component: 'storage-gitlab' }) }),
  // The project `<root group>/<owner>/<name>` (without a root group, `<owner>/<name>`), as the adapter names it.
  webhook: {
    topic: (settings) => settings.topic,
    relativePath: (settings, path) =>
      !settings.rootGroup ? path : path.startsWith(`${settings.rootGroup}/`) ? path.slice(settings.rootGroup.length + 1) : undefined,
  },
});

/** Every storage backend, one entry each: `STORAGE`'s allowed values, their parsers and factories. The first is the default. */
export const STORAGE_BACKENDS = [localBackend, gitHubBackend, gitLabBackend] as const;

/** A `STORAGE` value. */
export type StorageBackendName = (typeof STORAGE_BACKENDS)[number]['name'];

/** `STORAGE`'s allowed values, from the registry. */
export const STORAGE_BACKEND_NAMES = STORAGE_BACKENDS.map((backend) => backend.name) as [StorageBackendName, ...StorageBackendName[]];

/** `STORAGE`'s description in the README, from the registry: each backend's name, summary and the section of its variables. */
export const STORAGE_DESCRIPTION = `storage backend: ${STORAGE_BACKENDS.map(
  (backend) => `\`${backend.name}\` (${backend.summary}${'title' in backend ? `, configured under ${backend.title} below` : ''})`,
).join(', ')}`;

/** The registry entry named `name`. */
export function storageBackend(name: StorageBackendName): StorageBackend {
  const backend = STORAGE_BACKENDS.find((candidate) => candidate.name === name);
  if (!backend) throw new Error(`no storage backend '${name}'`);
  return backend as StorageBackend;
}
