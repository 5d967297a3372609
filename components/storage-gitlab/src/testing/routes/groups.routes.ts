import { RepositoryExistsError } from '@metastore/git-host-test-server';
import type { NamespaceRecord, Visibility } from '../gitlab-store';
import { currentUserObject, groupObject, namespaceObject } from '../representations';
import { listProjects, projectsOfNamespace, validPath } from './projects.routes';
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
  required,
  sortBy,
} from './route';

function groupOf(context: GitLabContext): NamespaceRecord {
  const group = context.store.findGroup(context.params.id!);
  if (!group) throw notFound('Group');
  return group;
}

function present(context: GitLabContext, group: NamespaceRecord): Record<string, unknown> {
  return groupObject(context.baseUrl, group, (id) => context.store.namespaces.findById(id));
}

/** Groups are listed by `order_by` (`name`, `path`, `id`; default `name`) and `sort` (default `asc`), `search` on name and path. */
function listGroups(context: GitLabContext, groups: readonly NamespaceRecord[]) {
  const search = context.query.search?.toLowerCase();
  const found = groups.filter((group) => !search || group.name.toLowerCase().includes(search) || group.path.toLowerCase().includes(search));
  const orderBy = context.query.order_by ?? 'name';
  const keys: Record<string, (group: NamespaceRecord) => string | number> = {
    name: (group) => group.name.toLowerCase(),
    path: (group) => group.path.toLowerCase(),
    id: (group) => group.id,
  };
  const key = keys[orderBy];
  if (!key) throw new GitLabErrorResponse(400, { error: 'order_by does not have a valid value' });
  return okPage(context, sortBy(found, key, context.query.sort, 'asc'), (group) => present(context, group));
}

/** Groups (https://docs.gitlab.com/api/groups/), namespaces (https://docs.gitlab.com/api/namespaces/) and the current user. */
export const groupRoutes: readonly GitLabRoute[] = [
  {
    method: 'POST',
    template: '/groups',
    expressPath: `${API_PREFIX}/groups`,
    async handle(context) {
      const { body, store } = context;
      const name = required(body.name, 'name');
      const path = required(body.path, 'path');
      if (!validPath(path))
        throw badRequest(
          `Failed to save group {:path=>["can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'"]}`,
        );
      let parent: NamespaceRecord | undefined;
      if (body.parent_id !== undefined && body.parent_id !== null) {
        parent = store.findGroup(String(body.parent_id));
        if (!parent) throw notFound('Group');
      }
      const visibility = (typeof body.visibility === 'string' ? body.visibility : 'private') as Visibility;
      const fullPath = parent ? `${parent.fullPath}/${path}` : path;
      const taken = () => badRequest('Failed to save group {:path=>["has already been taken"]}');
      if (store.findNamespace(fullPath) || store.projects.find(fullPath)) throw taken();
      try {
        const group = await store.namespaces.create(fullPath, (id) => ({
          id,
          kind: 'group',
          name,
          path,
          fullPath,
          parentId: parent?.id ?? null,
          description: typeof body.description === 'string' ? body.description : '',
          visibility,
          createdAt: new Date().toISOString(),
        }));
        return created(present(context, group));
      } catch (error) {
        if (error instanceof RepositoryExistsError) throw taken();
        throw error;
      }
    },
  },
  {
    method: 'GET',
    template: '/groups',
    expressPath: `${API_PREFIX}/groups`,
    async handle(context) {
      const groups = context.store.namespaces.list().filter((namespace) => namespace.kind === 'group');
      return listGroups(context, flag(context.query.top_level_only) ? groups.filter((group) => group.parentId === null) : groups);
    },
  },
  {
    method: 'GET',
    template: '/groups/:id',
    expressPath: `${API_PREFIX}/groups/:id`,
    async handle(context) {
      return ok(present(context, groupOf(context)));
    },
  },
  {
    method: 'GET',
    template: '/groups/:id/subgroups',
    expressPath: `${API_PREFIX}/groups/:id/subgroups`,
    async handle(context) {
      const group = groupOf(context);
      return listGroups(
        context,
        context.store.namespaces.list().filter((namespace) => namespace.kind === 'group' && namespace.parentId === group.id),
      );
    },
  },
  {
    method: 'GET',
    template: '/groups/:id/projects',
    expressPath: `${API_PREFIX}/groups/:id/projects`,
    async handle(context) {
      const group = groupOf(context);
      return listProjects(context, projectsOfNamespace(context.store, group, flag(context.query.include_subgroups) ?? false));
    },
  },
  {
    method: 'GET',
    template: '/namespaces/:id',
    expressPath: `${API_PREFIX}/namespaces/:id`,
    async handle(context) {
      const namespace = context.store.findNamespace(context.params.id!);
      if (!namespace) throw notFound('Namespace');
      return ok(namespaceObject(context.baseUrl, namespace));
    },
  },
  {
    method: 'GET',
    template: '/user',
    expressPath: `${API_PREFIX}/user`,
    async handle(context) {
      if (!context.authenticated) throw new GitLabErrorResponse(401, { message: '401 Unauthorized' });
      return ok(currentUserObject(context.baseUrl, context.store.user));
    },
  },
  {
    method: 'GET',
    template: '/version',
    expressPath: `${API_PREFIX}/version`,
    async handle() {
      return ok({ version: '18.6.0', revision: 'metastore', kas: { enabled: false, externalUrl: null, version: null }, enterprise: false });
    },
  },
];
