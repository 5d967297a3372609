import type { GitCommitObject, GitIdentity, GitTagObject } from '@metastore/git-host-test-server';
import { SIMPLE_PROJECT_FIELDS } from './gitlab-schemas';
import { type NamespaceRecord, type ProjectRecord, type StoredProject, type UserRecord, projectPath } from './gitlab-store';

/** Percent-encodes each segment of a slash-separated path. */
export function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/');
}

/** An ISO 8601 time with milliseconds in the identity's own zone, as GitLab writes commit dates (`2012-09-20T11:50:22.000+03:00`). */
export function gitDate(identity: GitIdentity): string {
  const minutes = -identity.timezoneOffset;
  const local = new Date((identity.timestamp + minutes * 60) * 1000).toISOString().replace(/Z$/, '');
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}

/** A record time as GitLab writes it (`2013-09-30T13:46:02.000Z`). */
export const isoTime = (value: string): string => new Date(value).toISOString();

/** The basic user object (https://docs.gitlab.com/api/users/). */
export function userObject(baseUrl: string, user: UserRecord): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: null,
    web_url: `${baseUrl}/${user.username}`,
  };
}

/** The user object `GET /user` answers. */
export function currentUserObject(baseUrl: string, user: UserRecord): Record<string, unknown> {
  return {
    ...userObject(baseUrl, user),
    created_at: isoTime(user.createdAt),
    bio: '',
    location: '',
    public_email: null,
    organization: '',
    job_title: '',
    bot: false,
    email: `${user.username}@example.com`,
    commit_email: `${user.username}@example.com`,
    is_admin: false,
    can_create_group: true,
    can_create_project: true,
    projects_limit: 100000,
    two_factor_enabled: false,
    external: false,
    private_profile: false,
  };
}

/** A namespace as projects embed it and `GET /namespaces/:id` answers (https://docs.gitlab.com/api/namespaces/). */
export function namespaceObject(baseUrl: string, namespace: NamespaceRecord): Record<string, unknown> {
  return {
    id: namespace.id,
    name: namespace.name,
    path: namespace.path,
    kind: namespace.kind,
    full_path: namespace.fullPath,
    parent_id: namespace.parentId,
    avatar_url: null,
    web_url: namespace.kind === 'group' ? `${baseUrl}/groups/${namespace.fullPath}` : `${baseUrl}/${namespace.fullPath}`,
  };
}

/** The full name of a namespace (`Acme / Sub`): its ancestors' names and its own. */
export function fullName(namespaces: (id: number) => NamespaceRecord | undefined, namespace: NamespaceRecord): string {
  const names: string[] = [];
  for (
    let current: NamespaceRecord | undefined = namespace;
    current;
    current = current.parentId ? namespaces(current.parentId) : undefined
  ) {
    names.unshift(current.name);
  }
  return names.join(' / ');
}

/** A group (https://docs.gitlab.com/api/groups/). */
export function groupObject(
  baseUrl: string,
  group: NamespaceRecord,
  namespaces: (id: number) => NamespaceRecord | undefined,
): Record<string, unknown> {
  return {
    id: group.id,
    web_url: `${baseUrl}/groups/${group.fullPath}`,
    name: group.name,
    path: group.path,
    description: group.description,
    visibility: group.visibility,
    share_with_group_lock: false,
    require_two_factor_authentication: false,
    two_factor_grace_period: 48,
    project_creation_level: 'developer',
    auto_devops_enabled: null,
    subgroup_creation_level: 'maintainer',
    emails_disabled: false,
    emails_enabled: true,
    mentions_disabled: null,
    lfs_enabled: true,
    default_branch: null,
    default_branch_protection: 2,
    avatar_url: null,
    request_access_enabled: true,
    full_name: fullName(namespaces, group),
    full_path: group.fullPath,
    created_at: isoTime(group.createdAt),
    parent_id: group.parentId,
    organization_id: 1,
    shared_runners_setting: 'enabled',
    ldap_cn: null,
    ldap_access: null,
    marked_for_deletion_on: null,
  };
}

/** A project (https://docs.gitlab.com/api/projects/#get-a-single-project). */
export function projectObject(
  baseUrl: string,
  stored: StoredProject,
  namespace: NamespaceRecord,
  namespaces: (id: number) => NamespaceRecord | undefined,
  empty: boolean,
): Record<string, unknown> {
  const record: ProjectRecord = stored.record;
  const fullPath = projectPath(record);
  const api = `${baseUrl}/api/v4/projects/${record.id}`;
  const web = `${baseUrl}/${fullPath}`;
  const host = new URL(baseUrl).host;
  return {
    id: record.id,
    description: record.description,
    name: record.name,
    name_with_namespace: `${fullName(namespaces, namespace)} / ${record.name}`,
    path: record.path,
    path_with_namespace: fullPath,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    default_branch: empty ? null : record.defaultBranch,
    tag_list: [...record.topics],
    topics: [...record.topics],
    ssh_url_to_repo: `git@${host.replace(/:\d+$/, '')}:${fullPath}.git`,
    http_url_to_repo: `${web}.git`,
    web_url: web,
    readme_url: null,
    avatar_url: null,
    forks_count: 0,
    star_count: 0,
    last_activity_at: isoTime(record.lastActivityAt),
    namespace: namespaceObject(baseUrl, namespace),
    container_registry_image_prefix: `registry.${host}/${fullPath}`,
    _links: {
      self: api,
      issues: `${api}/issues`,
      merge_requests: `${api}/merge_requests`,
      repo_branches: `${api}/repository/branches`,
      labels: `${api}/labels`,
      events: `${api}/events`,
      members: `${api}/members`,
      cluster_agents: `${api}/cluster_agents`,
    },
    empty_repo: empty,
    archived: false,
    visibility: record.visibility,
    resolve_outdated_diff_discussions: false,
    issues_enabled: true,
    merge_requests_enabled: true,
    wiki_enabled: true,
    jobs_enabled: true,
    snippets_enabled: true,
    creator_id: record.creatorId,
    open_issues_count: 0,
    marked_for_deletion_at: record.markedForDeletionAt ? record.markedForDeletionAt.slice(0, 10) : null,
    marked_for_deletion_on: record.markedForDeletionAt ? record.markedForDeletionAt.slice(0, 10) : null,
  };
}

/** A project as listings with `simple=true` answer it. */
export function simpleProjectObject(project: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SIMPLE_PROJECT_FIELDS.map((field) => [field, project[field]]));
}

/** The first line of a commit message. */
export const titleOf = (message: string): string => message.split('\n')[0] ?? '';

/**
 * Git trailers of a message's last paragraph (`Signed-off-by: ...`), as GitLab's `trailers` (last value per key) and
 * `extended_trailers` (every value).
 */
function trailersOf(message: string): { trailers: Record<string, string>; extended: Record<string, string[]> } {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1]! : '';
  const trailers: Record<string, string> = {};
  const extended: Record<string, string[]> = {};
  const lines = last.split('\n');
  if (!lines.every((line) => /^[A-Za-z0-9-]+: .+/.test(line))) return { trailers, extended };
  for (const line of lines) {
    const [key, ...rest] = line.split(': ');
    trailers[key!] = rest.join(': ');
    (extended[key!] ??= []).push(rest.join(': '));
  }
  return { trailers, extended };
}

/** A commit as lists show it (https://docs.gitlab.com/api/commits/#list-repository-commits). */
export function commitObject(baseUrl: string, record: ProjectRecord, commit: GitCommitObject): Record<string, unknown> {
  const { trailers, extended } = trailersOf(commit.message);
  return {
    id: commit.oid,
    short_id: commit.oid.slice(0, 8),
    created_at: gitDate(commit.committer),
    parent_ids: [...commit.parents],
    title: titleOf(commit.message),
    message: commit.message,
    author_name: commit.author.name,
    author_email: commit.author.email,
    authored_date: gitDate(commit.author),
    committer_name: commit.committer.name,
    committer_email: commit.committer.email,
    committed_date: gitDate(commit.committer),
    trailers,
    extended_trailers: extended,
    web_url: `${baseUrl}/${projectPath(record)}/-/commit/${commit.oid}`,
  };
}

/** A single commit with its stats (https://docs.gitlab.com/api/commits/#get-a-single-commit). */
export function commitDetailObject(
  baseUrl: string,
  record: ProjectRecord,
  commit: GitCommitObject,
  stats: { additions: number; deletions: number },
): Record<string, unknown> {
  return {
    ...commitObject(baseUrl, record, commit),
    stats: { additions: stats.additions, deletions: stats.deletions, total: stats.additions + stats.deletions },
    status: null,
    project_id: record.id,
    last_pipeline: null,
  };
}

/** A tag (https://docs.gitlab.com/api/tags/): `target` is the tag object for an annotated tag, else the commit. */
export function tagObject(
  baseUrl: string,
  record: ProjectRecord,
  name: string,
  target: string,
  annotated: GitTagObject | undefined,
  commit: GitCommitObject,
): Record<string, unknown> {
  return {
    name,
    message: annotated ? annotated.message : '',
    target,
    commit: commitObject(baseUrl, record, commit),
    release: null,
    protected: false,
    created_at: annotated ? gitDate(annotated.tagger) : null,
  };
}

/** A branch (https://docs.gitlab.com/api/branches/). */
export function branchObject(baseUrl: string, record: ProjectRecord, name: string, commit: GitCommitObject): Record<string, unknown> {
  return {
    name,
    merged: false,
    protected: false,
    default: name === record.defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `${baseUrl}/${projectPath(record)}/-/tree/${encodePath(name)}`,
    commit: commitObject(baseUrl, record, commit),
  };
}
