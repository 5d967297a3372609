import type { GitIdentity } from '@metastore/git-host-test-server';
import type { AccountRecord, RepositorySettings, StoredRepository } from '../repository-store';
import { RepositoryExistsError } from '../repository-store';
import { noReplyEmail, repositoryObject } from '../representations';
import {
  type ApiResponse,
  type RouteContext,
  type RouteDefinition,
  GitHubErrorResponse,
  bodyOf,
  noContent,
  notFound,
  ok,
  paginate,
  repositoryOf,
  unprocessable,
} from './route';

interface CreateRepositoryBody {
  name: string;
  description?: string;
  homepage?: string;
  private?: boolean;
  visibility?: 'public' | 'private' | 'internal';
  auto_init?: boolean;
  has_issues?: boolean;
  has_projects?: boolean;
  has_wiki?: boolean;
  has_downloads?: boolean;
  has_discussions?: boolean;
  is_template?: boolean;
  allow_squash_merge?: boolean;
  allow_merge_commit?: boolean;
  allow_rebase_merge?: boolean;
  allow_auto_merge?: boolean;
  delete_branch_on_merge?: boolean;
}

const TOPIC = /^[a-z0-9][a-z0-9-]{0,49}$/;

/** The identity GitHub writes commits with on behalf of an account. */
export function accountIdentity(account: AccountRecord, now = new Date()): GitIdentity {
  return { name: account.login, email: noReplyEmail(account), timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: 0 };
}

/** GitHub turns every character outside `[A-Za-z0-9._-]` of a new repository's name into `-`. */
function repositoryName(requested: string): string {
  const name = requested.replace(/[^A-Za-z0-9._-]/g, '-');
  const problem =
    name.length === 0
      ? 'name is too short (minimum is 1 character)'
      : name.length > 100
        ? 'name is too long (maximum is 100 characters)'
        : name === '.' || name === '..'
          ? 'name is reserved'
          : undefined;
  if (problem)
    throw unprocessable('Repository creation failed.', [{ resource: 'Repository', code: 'custom', field: 'name', message: problem }]);
  return name;
}

function settingsOf(body: CreateRepositoryBody): RepositorySettings {
  return {
    description: body.description ?? null,
    homepage: body.homepage ?? null,
    private: body.visibility ? body.visibility !== 'public' : (body.private ?? false),
    hasIssues: body.has_issues ?? true,
    hasProjects: body.has_projects ?? true,
    hasWiki: body.has_wiki ?? true,
    hasDownloads: body.has_downloads ?? true,
    hasDiscussions: body.has_discussions ?? false,
    isTemplate: body.is_template ?? false,
    allowSquashMerge: body.allow_squash_merge ?? true,
    allowMergeCommit: body.allow_merge_commit ?? true,
    allowRebaseMerge: body.allow_rebase_merge ?? true,
    allowAutoMerge: body.allow_auto_merge ?? false,
    deleteBranchOnMerge: body.delete_branch_on_merge ?? false,
  };
}

async function createRepository(context: RouteContext, account: AccountRecord): Promise<ApiResponse> {
  const body = bodyOf<CreateRepositoryBody>(context);
  const name = repositoryName(body.name);
  const settings = settingsOf(body);
  let stored: StoredRepository;
  try {
    stored = await context.store.createRepository(account, name, settings, async (git) => {
      if (!body.auto_init) return;
      // GitHub's auto_init: one commit with a README.md on the default branch.
      const readme = `# ${name}${settings.description ? `\n${settings.description}` : ''}\n`;
      const tree = await git.buildTree(undefined, [{ path: 'README.md', mode: '100644', type: 'blob', content: readme }]);
      const identity = accountIdentity(context.authenticatedUser);
      const commit = await git.writeCommit({ message: 'Initial commit', tree, parents: [], author: identity, committer: identity });
      await git.createRef('refs/heads/main', commit);
    });
  } catch (error) {
    if (error instanceof RepositoryExistsError) {
      throw unprocessable('Repository creation failed.', [
        { resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' },
      ]);
    }
    throw error;
  }
  context.repositoryCreated(stored);
  const repository = repositoryObject(context.urls, stored, true);
  return { status: 201, body: repository, headers: { location: String(repository.url) } };
}

function sortRepositories(repositories: StoredRepository[], sort: string, direction: string | undefined): StoredRepository[] {
  const keyOf = (stored: StoredRepository): string =>
    sort === 'full_name'
      ? `${stored.record.owner}/${stored.record.name}`.toLowerCase()
      : sort === 'updated'
        ? stored.record.updatedAt
        : sort === 'pushed'
          ? stored.record.pushedAt
          : `${stored.record.createdAt}#${String(stored.record.id).padStart(12, '0')}`;
  const ascending = (direction ?? (sort === 'full_name' ? 'asc' : 'desc')) === 'asc';
  return [...repositories].sort((a, b) => {
    const order = keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;
    return ascending ? order : -order;
  });
}

function listRepositories(context: RouteContext, account: AccountRecord, defaultSort: string): ApiResponse {
  const type = context.query.type ?? 'all';
  // An installation token sees its own account's private repositories, and only public ones elsewhere.
  const seesPrivate = !context.installation || context.installation.account.login.toLowerCase() === account.login.toLowerCase();
  const repositories = context.store
    .listRepositories(account.login)
    .filter((stored) => seesPrivate || !stored.record.settings.private)
    .filter((stored) =>
      type === 'public' ? !stored.record.settings.private : type === 'private' ? stored.record.settings.private : type !== 'forks',
    );
  const sorted = sortRepositories(repositories, context.query.sort ?? defaultSort, context.query.direction);
  const page = paginate(context, sorted);
  return ok(
    page.items.map((stored) => repositoryObject(context.urls, stored, false)),
    page.headers,
  );
}

/** Repository routes: create, get, delete, list, topics. */
export const repositoryRoutes: readonly RouteDefinition[] = [
  {
    method: 'POST',
    template: '/orgs/{org}/repos',
    expressPath: '/orgs/:org/repos',
    async handle(context) {
      const existing = context.store.findAccount(context.params.org!);
      if (existing?.type === 'User') throw notFound();
      return createRepository(context, existing ?? (await context.store.ensureAccount(context.params.org!, 'Organization')));
    },
  },
  {
    method: 'POST',
    template: '/user/repos',
    expressPath: '/user/repos',
    handle: (context) => createRepository(context, context.authenticatedUser),
  },
  {
    method: 'GET',
    template: '/orgs/{org}/repos',
    expressPath: '/orgs/:org/repos',
    async handle(context) {
      const account = context.store.findAccount(context.params.org!);
      if (account?.type !== 'Organization') throw notFound();
      return listRepositories(context, account, 'created');
    },
  },
  {
    method: 'GET',
    template: '/users/{username}/repos',
    expressPath: '/users/:username/repos',
    async handle(context) {
      const account = context.store.findAccount(context.params.username!);
      if (!account) throw notFound();
      return listRepositories(context, account, 'full_name');
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}',
    expressPath: '/repos/:owner/:repo',
    handle: async (context) => ok(repositoryObject(context.urls, repositoryOf(context), true)),
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}',
    expressPath: '/repos/:owner/:repo',
    async handle(context) {
      await context.store.deleteRepository(repositoryOf(context));
      return noContent();
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/topics',
    expressPath: '/repos/:owner/:repo/topics',
    handle: async (context) => ok({ names: [...repositoryOf(context).record.topics] }),
  },
  {
    method: 'PUT',
    template: '/repos/{owner}/{repo}/topics',
    expressPath: '/repos/:owner/:repo/topics',
    async handle(context) {
      const names = [...new Set(bodyOf<{ names: string[] }>(context).names.map((name) => name.trim().toLowerCase()))];
      const invalid = names.filter((name) => !TOPIC.test(name));
      if (invalid.length > 0) {
        throw new GitHubErrorResponse(
          422,
          'Validation Failed',
          invalid.map(
            (name) =>
              `${name} is not a valid topic. Topics must start with a lowercase letter or number, consist of 50 characters or less, and can include hyphens.`,
          ),
        );
      }
      if (names.length > 20) throw new GitHubErrorResponse(422, 'Validation Failed', ['A repository cannot have more than 20 topics.']);
      const updated = await context.store.updateRepository(repositoryOf(context), { topics: names, updatedAt: new Date().toISOString() });
      return ok({ names: [...updated.record.topics] });
    },
  },
];
