import { GitBackendError, type GitCommitObject, type GitRepository } from '@metastore/git-host-test-server';
import { treeDiffs } from '../diffs';
import { projectPath } from '../gitlab-store';
import { branchObject, commitObject } from '../representations';
import { API_PREFIX, type GitLabRoute, badRequest, created, flag, noContent, notFound, ok, okPage, projectOf, required } from './route';

async function branchCommit(git: GitRepository, name: string): Promise<GitCommitObject | undefined> {
  const oid = await git.readRef(`refs/heads/${name}`);
  return oid ? git.readCommit(oid) : undefined;
}

/** Every commit reachable from `start` (its ancestors and itself). */
async function ancestors(git: GitRepository, start: string): Promise<Set<string>> {
  return new Set((await git.log(start)).map((commit) => commit.oid));
}

/** Branches (https://docs.gitlab.com/api/branches/), the repository tree and compare (https://docs.gitlab.com/api/repositories/). */
export const repositoryRoutes: readonly GitLabRoute[] = [
  {
    method: 'GET',
    template: '/projects/:id/repository/branches',
    expressPath: `${API_PREFIX}/projects/:id/repository/branches`,
    async handle(context) {
      const stored = projectOf(context);
      const search = context.query.search?.toLowerCase();
      const branches: { name: string; commit: GitCommitObject }[] = [];
      for (const ref of await stored.git.listRefs('refs/heads/')) {
        const name = ref.ref.slice('refs/heads/'.length);
        if (search && !name.toLowerCase().includes(search)) continue;
        const commit = await stored.git.readCommit(ref.oid);
        if (commit) branches.push({ name, commit });
      }
      return okPage(context, branches, (branch) => branchObject(context.baseUrl, stored.record, branch.name, branch.commit));
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/branches/:branch',
    expressPath: `${API_PREFIX}/projects/:id/repository/branches/:branch`,
    async handle(context) {
      const stored = projectOf(context);
      const commit = await branchCommit(stored.git, context.params.branch!);
      if (!commit) throw notFound('Branch');
      return ok(branchObject(context.baseUrl, stored.record, context.params.branch!, commit));
    },
  },
  {
    method: 'POST',
    template: '/projects/:id/repository/branches',
    expressPath: `${API_PREFIX}/projects/:id/repository/branches`,
    async handle(context) {
      const stored = projectOf(context);
      const branch = required(context.body.branch ?? context.query.branch, 'branch');
      const ref = required(context.body.ref ?? context.query.ref, 'ref');
      const sha = await stored.git.resolveCommit(ref);
      if (!sha) throw badRequest('Invalid reference name: ' + ref);
      try {
        await stored.git.createRef(`refs/heads/${branch}`, sha);
      } catch (error) {
        if (error instanceof GitBackendError && (error.reason === 'REF_EXISTS' || error.reason === 'REF_CONFLICT')) {
          throw badRequest('Branch already exists');
        }
        if (error instanceof GitBackendError && error.reason === 'REF_INVALID') throw badRequest('Branch name is invalid');
        throw error;
      }
      await context.store.touch(stored);
      return created(branchObject(context.baseUrl, stored.record, branch, (await stored.git.readCommit(sha))!));
    },
  },
  {
    method: 'DELETE',
    template: '/projects/:id/repository/branches/:branch',
    expressPath: `${API_PREFIX}/projects/:id/repository/branches/:branch`,
    async handle(context) {
      const stored = projectOf(context);
      const branch = context.params.branch!;
      if (branch === stored.record.defaultBranch) throw badRequest('The default branch of a project cannot be deleted.');
      try {
        await stored.git.deleteRef(`refs/heads/${branch}`);
      } catch (error) {
        if (error instanceof GitBackendError && error.reason === 'REF_MISSING') throw notFound('Branch');
        throw error;
      }
      return noContent();
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/tree',
    expressPath: `${API_PREFIX}/projects/:id/repository/tree`,
    async handle(context) {
      const stored = projectOf(context);
      const sha = await stored.git.resolveCommit(context.query.ref || stored.record.defaultBranch);
      const commit = sha ? await stored.git.readCommit(sha) : undefined;
      if (!commit) throw notFound('Tree');
      const prefix = (context.query.path ?? '')
        .split('/')
        .filter((part) => part !== '')
        .join('/');
      const directory = await stored.git.entryAtPath(commit.tree, prefix);
      if (!directory || directory.type !== 'tree') throw notFound('Tree');
      const base = prefix === '' ? '' : `${prefix}/`;
      const entries = flag(context.query.recursive)
        ? await stored.git.readTreeRecursively(directory.oid, base)
        : ((await stored.git.readTree(directory.oid)) ?? []).map((entry) => ({ ...entry, path: `${base}${entry.path}` }));
      return okPage(context, entries, (entry) => ({
        id: entry.oid,
        name: entry.path.split('/').pop(),
        type: entry.type,
        path: entry.path,
        mode: entry.mode,
      }));
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/compare',
    expressPath: `${API_PREFIX}/projects/:id/repository/compare`,
    async handle(context) {
      const stored = projectOf(context);
      const git = stored.git;
      const fromRef = required(context.query.from, 'from');
      const toRef = required(context.query.to, 'to');
      const from = await git.resolveCommit(fromRef);
      const to = await git.resolveCommit(toRef);
      if (!from || !to) throw notFound('Ref');
      const reachableFromFrom = await ancestors(git, from);
      // Not straight (the default): from the merge base, as `git diff from...to`; straight: from `from` itself.
      const history = await git.log(to);
      const mergeBase = history.find((commit) => reachableFromFrom.has(commit.oid));
      const base = flag(context.query.straight) ? (await git.readCommit(from))! : mergeBase;
      const commits = history.filter((commit) => !reachableFromFrom.has(commit.oid)).reverse();
      const target = (await git.readCommit(to))!;
      const { diffs } = await treeDiffs(git, base?.tree, target.tree);
      const present = (commit: GitCommitObject) => commitObject(context.baseUrl, stored.record, commit);
      return ok({
        commit: commits.length > 0 ? present(commits[commits.length - 1]!) : null,
        commits: commits.map(present),
        diffs,
        compare_timeout: false,
        compare_same_ref: fromRef === toRef,
        web_url: `${context.baseUrl}/${projectPath(stored.record)}/-/compare/${from}...${to}`,
      });
    },
  },
];
