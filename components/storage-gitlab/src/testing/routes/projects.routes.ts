import { RepositoryExistsError } from '@metastore/git-host-test-server';
import type { GitLabStore, NamespaceRecord, ProjectRecord, StoredProject, Visibility } from '../gitlab-store';
import { projectPath } from '../gitlab-store';
import { projectObject, simpleProjectObject } from '../representations';
import { commitIdentity } from './commits.routes';
import {
  API_PREFIX,
  type GitLabContext,
  type GitLabRoute,
  GitLabErrorResponse,
  badRequest,
  created,
  flag,
  notFound,
  ok,
  okPage,
  projectOf,
  sortBy,
} from './route';

const PATH = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;
const PATH_MESSAGE = "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'";
const VISIBILITIES = new Set(['private', 'internal', 'public']);

/** Topics from a JSON array or a comma-separated string (`topics` or the deprecated `tag_list`). */
function topicsOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return [...new Set(list.map((topic) => topic.trim()).filter((topic) => topic !== ''))];
}

/** The path GitLab derives from a name when none is given: lower case, runs of other characters as `-`. */
const pathFromName = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** Whether a project path is one GitLab accepts. */
export function validPath(value: string): boolean {
  return PATH.test(value) && !/\.(git|atom)$/.test(value);
}

/** The JSON of a project as GitLab answers it. */
export async function presentProject(context: GitLabContext, stored: StoredProject): Promise<Record<string, unknown>> {
  const namespace = context.store.namespaces.findById(stored.record.namespaceId)!;
  const lookup = (id: number) => context.store.namespaces.findById(id);
  return projectObject(context.baseUrl, stored, namespace, lookup, await stored.git.isEmpty());
}

/** Lists projects the way GitLab's project listings filter and order them (`topic`, `search`, `order_by`, `sort`, `simple`, pages). */
export async function listProjects(context: GitLabContext, projects: readonly StoredProject[]) {
  const { query } = context;
  const topics = topicsOf(query.topic)?.map((topic) => topic.toLowerCase()) ?? [];
  const search = query.search?.toLowerCase();
  const filtered = projects.filter(
    (stored) =>
      topics.every((topic) => stored.record.topics.some((candidate) => candidate.toLowerCase() === topic)) &&
      (!search || stored.record.name.toLowerCase().includes(search) || stored.record.path.toLowerCase().includes(search)),
  );
  const keys: Record<string, (record: ProjectRecord) => string | number> = {
    id: (record) => record.id,
    name: (record) => record.name.toLowerCase(),
    path: (record) => record.path.toLowerCase(),
    created_at: (record) => record.createdAt,
    updated_at: (record) => record.updatedAt,
    last_activity_at: (record) => record.lastActivityAt,
  };
  const orderBy = query.order_by ?? 'created_at';
  const key = keys[orderBy];
  if (!key) throw new GitLabErrorResponse(400, { error: 'order_by does not have a valid value' });
  const ordered = sortBy(filtered, (stored) => key(stored.record), query.sort, 'desc');
  const page = okPage(context, ordered, (stored) => stored);
  const simple = flag(query.simple) ?? false;
  const items = await Promise.all(
    (page.body as StoredProject[]).map(async (stored) => {
      const project = await presentProject(context, stored);
      return simple ? simpleProjectObject(project) : project;
    }),
  );
  return { ...page, body: items };
}

/** The projects of a namespace, and with `includeSubgroups` those of its subgroups at any depth. */
export function projectsOfNamespace(store: GitLabStore, namespace: NamespaceRecord, includeSubgroups: boolean): StoredProject[] {
  const prefix = `${namespace.fullPath.toLowerCase()}/`;
  return store.projects
    .list()
    .filter((stored) =>
      includeSubgroups ? projectPath(stored.record).toLowerCase().startsWith(prefix) : stored.record.namespaceId === namespace.id,
    );
}

async function createProject(context: GitLabContext): Promise<StoredProject> {
  const { body, store } = context;
  const name = typeof body.name === 'string' && body.name !== '' ? body.name : undefined;
  const requestedPath = typeof body.path === 'string' && body.path !== '' ? body.path : undefined;
  if (!name && !requestedPath)
    throw new GitLabErrorResponse(400, { error: 'name, path are missing, at least one parameter must be provided' });
  const path = requestedPath ?? pathFromName(name!);
  if (!validPath(path)) throw badRequest({ path: [PATH_MESSAGE] });
  let namespace = store.userNamespace();
  if (body.namespace_id !== undefined && body.namespace_id !== null) {
    const found = store.findNamespace(String(body.namespace_id));
    if (!found) throw notFound('Namespace');
    namespace = found;
  }
  const visibility = (typeof body.visibility === 'string' ? body.visibility : 'private') as Visibility;
  if (!VISIBILITIES.has(visibility)) throw new GitLabErrorResponse(400, { error: 'visibility does not have a valid value' });
  const defaultBranch = typeof body.default_branch === 'string' && body.default_branch !== '' ? body.default_branch : 'main';
  const initialise = flag(body.initialize_with_readme) ?? false;
  const now = new Date().toISOString();
  const projectName = name ?? path;
  const taken = store.projects
    .list()
    .some(
      (stored) =>
        stored.record.namespaceId === namespace.id &&
        (stored.record.name.toLowerCase() === projectName.toLowerCase() || stored.record.path.toLowerCase() === path.toLowerCase()),
    );
  const takenMessage = { name: ['has already been taken'], path: ['has already been taken'] };
  if (taken) throw badRequest(takenMessage);
  try {
    return await store.projects.create(
      `${namespace.fullPath}/${path}`,
      (id) => ({
        id,
        name: projectName,
        path,
        namespaceId: namespace.id,
        namespacePath: namespace.fullPath,
        description: typeof body.description === 'string' ? body.description : null,
        visibility,
        topics: topicsOf(body.topics ?? body.tag_list) ?? [],
        defaultBranch,
        createdAt: now,
        updatedAt: now,
        lastActivityAt: now,
        markedForDeletionAt: null,
        creatorId: store.user.id,
      }),
      async (git) => {
        if (!initialise) return;
        const identity = commitIdentity(store.user);
        const tree = await git.buildTree(undefined, [{ path: 'README.md', mode: '100644', type: 'blob', content: `# ${projectName}\n` }]);
        const commit = await git.writeCommit({ message: 'Initial commit', tree, parents: [], author: identity, committer: identity });
        await git.createRef(`refs/heads/${defaultBranch}`, commit);
      },
      defaultBranch,
    );
  } catch (error) {
    if (error instanceof RepositoryExistsError) throw badRequest(takenMessage);
    throw error;
  }
}

async function editProject(context: GitLabContext): Promise<StoredProject> {
  const { body, store } = context;
  let stored = projectOf(context);
  const name = typeof body.name === 'string' && body.name !== '' ? body.name : undefined;
  const path = typeof body.path === 'string' && body.path !== '' ? body.path : undefined;
  if (path !== undefined && !validPath(path)) throw badRequest({ path: [PATH_MESSAGE] });
  const topics = topicsOf(body.topics ?? body.tag_list);
  const visibility = typeof body.visibility === 'string' ? body.visibility : undefined;
  if (visibility !== undefined && !VISIBILITIES.has(visibility))
    throw new GitLabErrorResponse(400, { error: 'visibility does not have a valid value' });
  const now = new Date().toISOString();
  const change = (record: ProjectRecord): ProjectRecord => ({
    ...record,
    ...(name !== undefined ? { name } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(topics !== undefined ? { topics } : {}),
    ...(visibility !== undefined ? { visibility: visibility as Visibility } : {}),
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(typeof body.default_branch === 'string' && body.default_branch !== '' ? { defaultBranch: body.default_branch } : {}),
    updatedAt: now,
  });
  if (path !== undefined && path.toLowerCase() !== stored.record.path.toLowerCase()) {
    try {
      stored = await store.projects.move(stored, change);
    } catch (error) {
      if (error instanceof RepositoryExistsError) throw badRequest({ path: ['has already been taken'] });
      throw error;
    }
  } else {
    stored = await store.projects.update(stored, change);
  }
  return stored;
}

/**
 * `DELETE /projects/:id` (https://docs.gitlab.com/api/projects/#delete-a-project): with delayed deletion the project
 * is marked and renamed `<path>-deletion_scheduled-<id>`; `permanently_remove=true` with the project's current
 * `full_path` then deletes a marked project at once. Either way the answer is 202 `{"message": "202 Accepted"}`.
 */
async function deleteProject(context: GitLabContext) {
  const stored = projectOf(context);
  const { query, store } = context;
  const permanently = flag(query.permanently_remove) ?? false;
  if (permanently) {
    if (!stored.record.markedForDeletionAt) throw badRequest('Project must be marked for deletion first.');
    if ((query.full_path ?? '').toLowerCase() !== projectPath(stored.record).toLowerCase()) {
      throw badRequest('`full_path` is incorrect. You must enter the complete path for the project.');
    }
    await store.projects.delete(stored);
  } else if (context.delayedDeletion && !stored.record.markedForDeletionAt) {
    const suffix = `-deletion_scheduled-${stored.record.id}`;
    await store.projects.move(stored, (record) => ({
      ...record,
      name: `${record.name}${suffix}`,
      path: `${record.path}${suffix}`,
      markedForDeletionAt: new Date().toISOString(),
    }));
  } else if (!context.delayedDeletion) {
    await store.projects.delete(stored);
  } else {
    throw badRequest('Project has been already marked for deletion');
  }
  return { status: 202, body: { message: '202 Accepted' } };
}

/** Projects: create, get by id or URL-encoded path, list (filtered, ordered, paginated), edit, delete. */
export const projectRoutes: readonly GitLabRoute[] = [
  {
    method: 'POST',
    template: '/projects',
    expressPath: `${API_PREFIX}/projects`,
    async handle(context) {
      return created(await presentProject(context, await createProject(context)));
    },
  },
  {
    method: 'GET',
    template: '/projects',
    expressPath: `${API_PREFIX}/projects`,
    async handle(context) {
      return listProjects(context, context.store.projects.list());
    },
  },
  {
    method: 'GET',
    template: '/projects/:id',
    expressPath: `${API_PREFIX}/projects/:id`,
    async handle(context) {
      return ok(await presentProject(context, projectOf(context)));
    },
  },
  {
    method: 'PUT',
    template: '/projects/:id',
    expressPath: `${API_PREFIX}/projects/:id`,
    async handle(context) {
      return ok(await presentProject(context, await editProject(context)));
    },
  },
  {
    method: 'DELETE',
    template: '/projects/:id',
    expressPath: `${API_PREFIX}/projects/:id`,
    handle: deleteProject,
  },
  {
    method: 'GET',
    template: '/users/:user_id/projects',
    expressPath: `${API_PREFIX}/users/:user_id/projects`,
    async handle(context) {
      const { store } = context;
      const wanted = context.params.user_id!;
      const user = store.user;
      if (wanted !== String(user.id) && wanted.toLowerCase() !== user.username.toLowerCase()) throw notFound('User');
      return listProjects(context, projectsOfNamespace(store, store.userNamespace(), false));
    },
  },
];
