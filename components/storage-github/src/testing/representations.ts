import type { GitCommitObject, GitIdentity, GitObjectType, GitTagObject, GitTreeEntry } from '@metastore/git-host-test-server';
import type { InstallationRecord, RegisteredApp } from './github-apps';
import type { AccountRecord, RepositoryRecord, StoredRepository } from './repository-store';

/** Where the server is reached: API URLs and "web" (html_url) URLs both live on the server's own host. */
export interface ServerUrls {
  readonly api: string;
  readonly web: string;
}

/** A legacy-format GraphQL node id (`base64("0<n>:<Type><id>")`), as GitHub still returns for REST objects. */
export function nodeId(type: string, id: string | number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

/** Percent-encodes each segment of a slash-separated path. */
export function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/');
}

/** An ISO 8601 UTC time without milliseconds, as GitHub writes them. */
export function isoSeconds(date: Date | string | number): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The no-reply e-mail address GitHub gives an account. */
export function noReplyEmail(account: AccountRecord): string {
  return `${account.id}+${account.login}@users.noreply.github.com`;
}

/** A `simple-user` object for an account. */
export function simpleUser(urls: ServerUrls, account: AccountRecord): Record<string, unknown> {
  const url = `${urls.api}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `${urls.web}/avatars/u/${account.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${urls.web}/${account.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: account.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** The `private-user` object `GET /user` answers for the authenticated account. */
export function privateUser(
  urls: ServerUrls,
  account: AccountRecord,
  publicRepositories: number,
  privateRepositories: number,
): Record<string, unknown> {
  return {
    ...simpleUser(urls, account),
    user_view_type: 'private',
    name: account.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    notification_email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: publicRepositories,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: isoSeconds(account.createdAt),
    updated_at: isoSeconds(account.createdAt),
    private_gists: 0,
    total_private_repos: privateRepositories,
    owned_private_repos: privateRepositories,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
  };
}

/** The `public-user` object `GET /users/{username}` answers (an organization shows as a user of type `Organization`). */
export function publicUser(urls: ServerUrls, account: AccountRecord, publicRepositories: number): Record<string, unknown> {
  return {
    ...simpleUser(urls, account),
    user_view_type: 'public',
    name: account.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: publicRepositories,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: isoSeconds(account.createdAt),
    updated_at: isoSeconds(account.createdAt),
  };
}

/** The `organization-full` object `GET /orgs/{org}` answers. */
export function organizationObject(
  urls: ServerUrls,
  account: AccountRecord,
  publicRepositories: number,
  privateRepositories: number,
): Record<string, unknown> {
  const url = `${urls.api}/orgs/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId('Organization', account.id),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `${urls.web}/avatars/u/${account.id}?v=4`,
    description: null,
    name: account.login,
    twitter_username: null,
    is_verified: false,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: publicRepositories,
    public_gists: 0,
    followers: 0,
    following: 0,
    html_url: `${urls.web}/${account.login}`,
    type: 'Organization',
    total_private_repos: privateRepositories,
    owned_private_repos: privateRepositories,
    created_at: isoSeconds(account.createdAt),
    updated_at: isoSeconds(account.createdAt),
    archived_at: null,
  };
}

/** A repository as `minimal-repository` (listings) or `full-repository` (get and create). */
export function repositoryObject(urls: ServerUrls, stored: StoredRepository, full: boolean): Record<string, unknown> {
  const { record, account } = stored;
  const { settings } = record;
  const fullName = `${record.owner}/${record.name}`;
  const url = `${urls.api}/repos/${fullName}`;
  const htmlUrl = `${urls.web}/${fullName}`;
  const host = new URL(urls.web).host;
  const minimal: Record<string, unknown> = {
    id: record.id,
    node_id: nodeId('Repository', record.id),
    name: record.name,
    full_name: fullName,
    private: settings.private,
    owner: simpleUser(urls, account),
    html_url: htmlUrl,
    description: settings.description,
    fork: false,
    url,
    forks_url: `${url}/forks`,
    keys_url: `${url}/keys{/key_id}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    teams_url: `${url}/teams`,
    hooks_url: `${url}/hooks`,
    issue_events_url: `${url}/issues/events{/number}`,
    events_url: `${url}/events`,
    assignees_url: `${url}/assignees{/user}`,
    branches_url: `${url}/branches{/branch}`,
    tags_url: `${url}/tags`,
    blobs_url: `${url}/git/blobs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    trees_url: `${url}/git/trees{/sha}`,
    statuses_url: `${url}/statuses/{sha}`,
    languages_url: `${url}/languages`,
    stargazers_url: `${url}/stargazers`,
    contributors_url: `${url}/contributors`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    commits_url: `${url}/commits{/sha}`,
    git_commits_url: `${url}/git/commits{/sha}`,
    comments_url: `${url}/comments{/number}`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    contents_url: `${url}/contents/{+path}`,
    compare_url: `${url}/compare/{base}...{head}`,
    merges_url: `${url}/merges`,
    archive_url: `${url}/{archive_format}{/ref}`,
    downloads_url: `${url}/downloads`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    labels_url: `${url}/labels{/name}`,
    releases_url: `${url}/releases{/id}`,
    deployments_url: `${url}/deployments`,
    created_at: isoSeconds(record.createdAt),
    updated_at: isoSeconds(record.updatedAt),
    pushed_at: isoSeconds(record.pushedAt),
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${htmlUrl}.git`,
    svn_url: htmlUrl,
    homepage: settings.homepage,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: settings.hasIssues,
    has_projects: settings.hasProjects,
    has_downloads: settings.hasDownloads,
    has_wiki: settings.hasWiki,
    has_pages: false,
    has_discussions: settings.hasDiscussions,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: settings.isTemplate,
    web_commit_signoff_required: false,
    topics: [...record.topics],
    visibility: settings.private ? 'private' : 'public',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: record.defaultBranch,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
  if (!full) return minimal;
  return {
    ...minimal,
    allow_squash_merge: settings.allowSquashMerge,
    allow_merge_commit: settings.allowMergeCommit,
    allow_rebase_merge: settings.allowRebaseMerge,
    allow_auto_merge: settings.allowAutoMerge,
    delete_branch_on_merge: settings.deleteBranchOnMerge,
    allow_update_branch: false,
    use_squash_pr_title_as_default: false,
    squash_merge_commit_message: 'COMMIT_MESSAGES',
    squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
    merge_commit_message: 'PR_TITLE',
    merge_commit_title: 'MERGE_MESSAGE',
    custom_properties: {},
    ...(account.type === 'Organization' ? { organization: simpleUser(urls, account) } : {}),
    network_count: 0,
    subscribers_count: 0,
  };
}

/** The API base of a repository, `<api>/repos/<owner>/<name>`. */
export function repositoryApiUrl(urls: ServerUrls, record: RepositoryRecord): string {
  return `${urls.api}/repos/${record.owner}/${record.name}`;
}

/** The web base of a repository, `<web>/<owner>/<name>`. */
export function repositoryWebUrl(urls: ServerUrls, record: RepositoryRecord): string {
  return `${urls.web}/${record.owner}/${record.name}`;
}

/** A git identity as the API shows it: `{ name, email, date }` with the date in UTC. */
export function identityObject(identity: GitIdentity): { name: string; email: string; date: string } {
  return { name: identity.name, email: identity.email, date: isoSeconds(identity.timestamp * 1000) };
}

/** A message as GitHub shows it: without the newline git ends it with. */
export function displayMessage(message: string): string {
  return message.replace(/\n$/, '');
}

const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

/** The `verification` object of an unsigned (or unverifiable) commit or tag. */
export function verificationObject(signature?: string): Record<string, unknown> {
  return signature ? { ...UNSIGNED, reason: 'unknown_key', signature } : { ...UNSIGNED };
}

/** A `git-commit` object (`/git/commits`). */
export function gitCommitObject(urls: ServerUrls, record: RepositoryRecord, commit: GitCommitObject): Record<string, unknown> {
  const api = repositoryApiUrl(urls, record);
  const web = repositoryWebUrl(urls, record);
  return {
    sha: commit.oid,
    node_id: nodeId('Commit', `${record.id}:${commit.oid}`),
    url: `${api}/git/commits/${commit.oid}`,
    html_url: `${web}/commit/${commit.oid}`,
    author: identityObject(commit.author),
    committer: identityObject(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: displayMessage(commit.message),
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/git/commits/${sha}`, html_url: `${web}/commit/${sha}` })),
    verification: verificationObject(commit.signature),
  };
}

/** A `commit` object (`/commits`, `/commits/{ref}`); `accountFor` maps an e-mail to a GitHub account. */
export function commitObject(
  urls: ServerUrls,
  record: RepositoryRecord,
  commit: GitCommitObject,
  accountFor: (email: string) => AccountRecord | undefined,
): Record<string, unknown> {
  const api = repositoryApiUrl(urls, record);
  const web = repositoryWebUrl(urls, record);
  const author = accountFor(commit.author.email);
  const committer = accountFor(commit.committer.email);
  return {
    sha: commit.oid,
    node_id: nodeId('Commit', `${record.id}:${commit.oid}`),
    commit: {
      author: identityObject(commit.author),
      committer: identityObject(commit.committer),
      message: displayMessage(commit.message),
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      url: `${api}/git/commits/${commit.oid}`,
      comment_count: 0,
      verification: verificationObject(commit.signature),
    },
    url: `${api}/commits/${commit.oid}`,
    html_url: `${web}/commit/${commit.oid}`,
    comments_url: `${api}/commits/${commit.oid}/comments`,
    author: author ? simpleUser(urls, author) : null,
    committer: committer ? simpleUser(urls, committer) : null,
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${web}/commit/${sha}` })),
  };
}

/** The URL of an object by type (`/git/commits/<sha>`, `/git/tags/<sha>`, ...). */
export function objectUrl(urls: ServerUrls, record: RepositoryRecord, type: GitObjectType, sha: string): string {
  const plural = { blob: 'blobs', tree: 'trees', commit: 'commits', tag: 'tags' }[type];
  return `${repositoryApiUrl(urls, record)}/git/${plural}/${sha}`;
}

/** A `git-ref` object. */
export function refObject(
  urls: ServerUrls,
  record: RepositoryRecord,
  ref: string,
  sha: string,
  type: GitObjectType,
): Record<string, unknown> {
  return {
    ref,
    node_id: nodeId('Ref', `${record.id}:${ref}`),
    url: `${repositoryApiUrl(urls, record)}/git/${encodePath(ref)}`,
    object: { sha, type, url: objectUrl(urls, record, type, sha) },
  };
}

/** A `git-tag` object. */
export function tagObject(urls: ServerUrls, record: RepositoryRecord, tag: GitTagObject): Record<string, unknown> {
  return {
    node_id: nodeId('Tag', `${record.id}:${tag.oid}`),
    sha: tag.oid,
    url: objectUrl(urls, record, 'tag', tag.oid),
    tag: tag.tag,
    message: displayMessage(tag.message),
    tagger: identityObject(tag.tagger),
    object: { sha: tag.object, type: tag.type, url: objectUrl(urls, record, tag.type, tag.object) },
    verification: verificationObject(),
  };
}

/** One entry of a `git-tree` answer. */
export function treeEntryObject(
  urls: ServerUrls,
  record: RepositoryRecord,
  entry: GitTreeEntry,
  size: number | undefined,
): Record<string, unknown> {
  return {
    path: entry.path,
    mode: entry.mode,
    type: entry.type,
    sha: entry.oid,
    ...(entry.type === 'blob' ? { size } : {}),
    ...(entry.type === 'commit' ? {} : { url: objectUrl(urls, record, entry.type, entry.oid) }),
  };
}

/** Base64 with a newline every 60 characters and at the end, as GitHub encodes file contents. */
export function wrappedBase64(bytes: Buffer): string {
  const encoded = bytes.toString('base64');
  if (encoded === '') return '';
  return `${encoded.match(/.{1,60}/g)!.join('\n')}\n`;
}

/** The `integration` object `GET /app` answers for the authenticated App. */
export function integrationObject(
  urls: ServerUrls,
  app: RegisteredApp,
  owner: AccountRecord,
  installations: number,
): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('Integration', app.id),
    client_id: app.clientId,
    owner: simpleUser(urls, owner),
    name: app.slug,
    description: null,
    external_url: `${urls.web}/apps/${app.slug}`,
    html_url: `${urls.web}/apps/${app.slug}`,
    created_at: isoSeconds(app.createdAt),
    updated_at: isoSeconds(app.createdAt),
    permissions: { ...app.permissions },
    events: [],
    installations_count: installations,
  };
}

/** The `installation` object of an App's installation on an account. */
export function installationObject(urls: ServerUrls, installation: InstallationRecord): Record<string, unknown> {
  const { app, account } = installation;
  return {
    id: installation.id,
    client_id: app.clientId,
    account: simpleUser(urls, account),
    repository_selection: 'all',
    access_tokens_url: `${urls.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url:
      account.type === 'Organization'
        ? `${urls.web}/organizations/${account.login}/settings/installations/${installation.id}`
        : `${urls.web}/settings/installations/${installation.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: account.id,
    target_type: account.type,
    permissions: { ...app.permissions },
    events: [],
    created_at: isoSeconds(installation.createdAt),
    updated_at: isoSeconds(installation.createdAt),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}
