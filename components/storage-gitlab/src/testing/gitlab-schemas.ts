// JSON Schemas of the GitLab REST API answers the test server sends, written from GitLab's API documentation (each
// beside the page it follows). They require what the documentation's attribute tables and example responses show,
// with the documented types and nullability, and allow more (GitLab adds attributes between versions).
type Schema = { readonly [key: string]: unknown };

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const integer = { type: 'integer' } as const;
const boolean = { type: 'boolean' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const sha = { type: 'string', pattern: '^[0-9a-f]{40}$' } as const;
const uri = { type: 'string', format: 'uri' } as const;
const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): Schema => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
  ...extra,
});
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });

// https://docs.gitlab.com/api/namespaces/#get-details-on-a-namespace
export const namespaceSchema = object({
  id: integer,
  name: string,
  path: string,
  kind: { enum: ['user', 'group'] },
  full_path: string,
  parent_id: { type: ['integer', 'null'] },
  avatar_url: nullableString,
  web_url: uri,
});

// https://docs.gitlab.com/api/users/#get-the-current-user
export const currentUserSchema = object({
  id: integer,
  username: string,
  name: string,
  state: string,
  locked: boolean,
  avatar_url: nullableString,
  web_url: uri,
  created_at: dateTime,
  email: string,
  is_admin: boolean,
  can_create_group: boolean,
  can_create_project: boolean,
});

// https://docs.gitlab.com/api/groups/#get-a-single-group (and the list and create answers, same attributes)
export const groupSchema = object({
  id: integer,
  web_url: uri,
  name: string,
  path: string,
  description: string,
  visibility: { enum: ['private', 'internal', 'public'] },
  full_name: string,
  full_path: string,
  parent_id: { type: ['integer', 'null'] },
  created_at: dateTime,
  avatar_url: nullableString,
  request_access_enabled: boolean,
  lfs_enabled: boolean,
  default_branch: nullableString,
  marked_for_deletion_on: nullableString,
});

// https://docs.gitlab.com/api/projects/#get-a-single-project
export const projectSchema = object({
  id: integer,
  description: nullableString,
  name: string,
  name_with_namespace: string,
  path: string,
  path_with_namespace: string,
  created_at: dateTime,
  updated_at: dateTime,
  default_branch: nullableString,
  tag_list: arrayOf(string),
  topics: arrayOf(string),
  ssh_url_to_repo: string,
  http_url_to_repo: uri,
  web_url: uri,
  readme_url: nullableString,
  avatar_url: nullableString,
  forks_count: integer,
  star_count: integer,
  last_activity_at: dateTime,
  namespace: namespaceSchema,
  _links: object({ self: uri, issues: uri, merge_requests: uri, repo_branches: uri, labels: uri, events: uri, members: uri }),
  empty_repo: boolean,
  archived: boolean,
  visibility: { enum: ['private', 'internal', 'public'] },
  creator_id: integer,
  marked_for_deletion_at: nullableString,
  marked_for_deletion_on: nullableString,
});

/**
 * The fields of a project that listings with `simple=true` answer (GitLab's `API::Entities::BasicProjectDetails`;
 * https://docs.gitlab.com/api/projects/#list-all-projects): no `updated_at`, settings or links.
 */
export const SIMPLE_PROJECT_FIELDS = [
  'id',
  'description',
  'name',
  'name_with_namespace',
  'path',
  'path_with_namespace',
  'created_at',
  'default_branch',
  'tag_list',
  'topics',
  'ssh_url_to_repo',
  'http_url_to_repo',
  'web_url',
  'readme_url',
  'forks_count',
  'avatar_url',
  'star_count',
  'last_activity_at',
  'namespace',
] as const;

// https://docs.gitlab.com/api/projects/#list-all-projects (`simple=true`: BasicProjectDetails, a subset of the project's fields)
export const simpleProjectSchema = object(
  Object.fromEntries(SIMPLE_PROJECT_FIELDS.map((field) => [field, (projectSchema['properties'] as Record<string, unknown>)[field]])),
);

/** A project listing: full projects, or with `simple=true` the basic details. */
const projectListSchema: Schema = { type: 'array', items: { anyOf: [projectSchema, simpleProjectSchema] } };

// https://docs.gitlab.com/api/commits/#list-repository-commits
export const commitSchema = object({
  id: sha,
  short_id: string,
  created_at: dateTime,
  parent_ids: arrayOf(sha),
  title: string,
  message: string,
  author_name: string,
  author_email: string,
  authored_date: dateTime,
  committer_name: string,
  committer_email: string,
  committed_date: dateTime,
  trailers: { type: 'object', additionalProperties: string },
  extended_trailers: { type: 'object', additionalProperties: arrayOf(string) },
  web_url: uri,
});

// https://docs.gitlab.com/api/commits/#get-a-single-commit and #create-a-commit-with-multiple-files-and-actions
export const commitDetailSchema: Schema = {
  allOf: [
    commitSchema,
    object({
      stats: object({ additions: integer, deletions: integer, total: integer }),
      status: nullableString,
      project_id: integer,
      last_pipeline: { type: ['object', 'null'] },
    }),
  ],
};

// https://docs.gitlab.com/api/commits/#get-the-diff-of-a-commit
export const diffSchema = object({
  diff: string,
  new_path: string,
  old_path: string,
  a_mode: nullableString,
  b_mode: nullableString,
  new_file: boolean,
  renamed_file: boolean,
  deleted_file: boolean,
  generated_file: { type: ['boolean', 'null'] },
});

// https://docs.gitlab.com/api/repository_files/#get-file-from-repository
export const fileSchema = object({
  file_name: string,
  file_path: string,
  size: integer,
  encoding: { const: 'base64' },
  content: string,
  content_sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  ref: string,
  blob_id: sha,
  commit_id: sha,
  last_commit_id: sha,
  execute_filemode: boolean,
});

// https://docs.gitlab.com/api/repository_files/#create-new-file-in-repository (and update: the same answer)
export const fileChangeSchema = object({ file_path: string, branch: string });

// https://docs.gitlab.com/api/branches/#get-a-single-repository-branch
export const branchSchema = object({
  name: string,
  merged: boolean,
  protected: boolean,
  default: boolean,
  developers_can_push: boolean,
  developers_can_merge: boolean,
  can_push: boolean,
  web_url: uri,
  commit: commitSchema,
});

// https://docs.gitlab.com/api/tags/#get-a-single-repository-tag
export const tagSchema = object({
  name: string,
  message: nullableString,
  target: sha,
  commit: commitSchema,
  release: { type: ['object', 'null'] },
  protected: boolean,
  created_at: nullableDateTime,
});

// https://docs.gitlab.com/api/repositories/#list-repository-tree
export const treeEntrySchema = object({
  id: sha,
  name: string,
  type: { enum: ['tree', 'blob', 'commit'] },
  path: string,
  mode: { type: 'string', pattern: '^[0-7]{6}$' },
});

// https://docs.gitlab.com/api/repositories/#compare-branches-tags-or-commits
export const compareSchema = object({
  commit: { anyOf: [commitSchema, { type: 'null' }] },
  commits: arrayOf(commitSchema),
  diffs: arrayOf(diffSchema),
  compare_timeout: boolean,
  compare_same_ref: boolean,
  web_url: uri,
});

// https://docs.gitlab.com/api/version/
export const versionSchema = object({ version: string, revision: string });

// https://docs.gitlab.com/api/projects/#delete-a-project: `202 Accepted` with a message.
export const acceptedSchema = object({ message: { const: '202 Accepted' } });

// https://docs.gitlab.com/api/rest/troubleshooting/#status-codes: application errors are `{"message": ...}` (a string, or
// an object of field errors from model validation), parameter errors and unknown routes `{"error": "..."}`.
export const errorSchema: Schema = {
  oneOf: [
    { type: 'object', required: ['message'], properties: { message: { type: ['string', 'object'] } } },
    { type: 'object', required: ['error'], properties: { error: string } },
  ],
};

/** The documented schema of each route's successful answer (`METHOD /template`), by status. */
export const SUCCESS_SCHEMAS: Readonly<Record<string, Readonly<Record<number, Schema>>>> = {
  'POST /projects': { 201: projectSchema },
  'GET /projects': { 200: projectListSchema },
  'GET /projects/:id': { 200: projectSchema },
  'PUT /projects/:id': { 200: projectSchema },
  'DELETE /projects/:id': { 202: acceptedSchema },
  'GET /users/:user_id/projects': { 200: projectListSchema },
  'POST /projects/:id/repository/commits': { 201: commitDetailSchema },
  'GET /projects/:id/repository/commits': { 200: { type: 'array', items: { anyOf: [commitDetailSchema, commitSchema] } } },
  'GET /projects/:id/repository/commits/:sha': { 200: commitDetailSchema },
  'GET /projects/:id/repository/commits/:sha/diff': { 200: arrayOf(diffSchema) },
  'GET /projects/:id/repository/files/:file_path': { 200: fileSchema },
  'POST /projects/:id/repository/files/:file_path': { 201: fileChangeSchema },
  'PUT /projects/:id/repository/files/:file_path': { 200: fileChangeSchema },
  'GET /projects/:id/repository/branches': { 200: arrayOf(branchSchema) },
  'GET /projects/:id/repository/branches/:branch': { 200: branchSchema },
  'POST /projects/:id/repository/branches': { 201: branchSchema },
  'GET /projects/:id/repository/tree': { 200: arrayOf(treeEntrySchema) },
  'GET /projects/:id/repository/compare': { 200: compareSchema },
  'GET /projects/:id/repository/tags': { 200: arrayOf(tagSchema) },
  'GET /projects/:id/repository/tags/:tag_name': { 200: tagSchema },
  'POST /projects/:id/repository/tags': { 201: tagSchema },
  'POST /groups': { 201: groupSchema },
  'GET /groups': { 200: arrayOf(groupSchema) },
  'GET /groups/:id': { 200: groupSchema },
  'GET /groups/:id/subgroups': { 200: arrayOf(groupSchema) },
  'GET /groups/:id/projects': { 200: projectListSchema },
  'GET /namespaces/:id': { 200: namespaceSchema },
  'GET /user': { 200: currentUserSchema },
  'GET /version': { 200: versionSchema },
};
