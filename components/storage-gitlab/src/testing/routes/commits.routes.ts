import {
  GitBackendError,
  type GitCommitObject,
  type GitIdentity,
  type GitRepository,
  type TreeChange,
} from '@metastore/git-host-test-server';
import type { UserRecord } from '../gitlab-store';
import { treeDiffs } from '../diffs';
import { commitDetailObject, commitObject } from '../representations';
import {
  API_PREFIX,
  type GitLabContext,
  type GitLabRoute,
  badRequest,
  created,
  flag,
  invalidParameter,
  notFound,
  ok,
  okPage,
  projectOf,
  required,
} from './route';

const ACTIONS = new Set(['create', 'delete', 'move', 'update', 'chmod']);

/** One action of a commit request (GitLab's `actions[]` attributes). */
export interface CommitAction {
  readonly action: 'create' | 'delete' | 'move' | 'update' | 'chmod';
  readonly file_path: string;
  readonly previous_path?: string;
  readonly content?: string;
  readonly encoding?: 'text' | 'base64';
  readonly last_commit_id?: string;
  readonly execute_filemode?: boolean;
}

/** The identity GitLab writes commits with for a user (its commit e-mail), now. */
export function commitIdentity(user: UserRecord, now = new Date()): GitIdentity {
  return { name: user.name, email: `${user.username}@example.com`, timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: 0 };
}

/** The `actions` of a commit request, checked as Grape checks them (`{"error": "actions[0][action] ..."}`). */
function actionsOf(value: unknown): CommitAction[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidParameter('actions is missing');
  return value.map((raw, index) => {
    const action = (raw ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof action.action !== 'string') problems.push(`actions[${index}][action] is missing`);
    else if (!ACTIONS.has(action.action)) problems.push(`actions[${index}][action] does not have a valid value`);
    if (typeof action.file_path !== 'string' || action.file_path === '') problems.push(`actions[${index}][file_path] is missing`);
    if (action.encoding !== undefined && action.encoding !== 'text' && action.encoding !== 'base64') {
      problems.push(`actions[${index}][encoding] does not have a valid value`);
    }
    if (problems.length > 0) throw invalidParameter(problems.join(', '));
    return action as unknown as CommitAction;
  });
}

const normalisePath = (filePath: string) =>
  filePath
    .split('/')
    .filter((part) => part !== '')
    .join('/');

/** The sha of the last commit (from `start`) that changed `filePath`, as `git log -1 -- <path>` finds it. */
export async function lastCommitFor(git: GitRepository, start: string, filePath: string): Promise<string | undefined> {
  return (await git.log(start, filePath, 1))[0]?.oid;
}

/**
 * Applies `actions` on `base` (undefined: an empty repository) the way GitLab's commit service does, refusing with 400
 * what GitLab refuses (https://docs.gitlab.com/api/commits/#create-a-commit-with-multiple-files-and-actions): creating a
 * file that exists, changing one that does not, or one whose last commit is not the action's `last_commit_id`.
 */
async function treeChanges(
  git: GitRepository,
  base: GitCommitObject | undefined,
  actions: readonly CommitAction[],
  staleMessage: (filePath: string) => string,
): Promise<TreeChange[]> {
  const changes: TreeChange[] = [];
  const present = new Map<string, { mode: string; oid: string } | null>();
  const entryOf = async (filePath: string) => {
    if (present.has(filePath)) return present.get(filePath) ?? undefined;
    const entry = base ? await git.entryAtPath(base.tree, filePath) : undefined;
    return entry && entry.type === 'blob' ? { mode: entry.mode, oid: entry.oid } : undefined;
  };
  const checkLastCommit = async (action: CommitAction, filePath: string) => {
    if (!action.last_commit_id || !base) return;
    const last = await lastCommitFor(git, base.oid, filePath);
    if (last && last !== action.last_commit_id) throw badRequest(staleMessage(filePath));
  };
  const blobOf = async (action: CommitAction) => {
    const content = action.content ?? '';
    return git.writeBlob(action.encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8'));
  };
  for (const action of actions) {
    const filePath = normalisePath(action.file_path);
    const existing = await entryOf(filePath);
    switch (action.action) {
      case 'create': {
        if (existing) throw badRequest('A file with this name already exists');
        const mode = action.execute_filemode ? '100755' : '100644';
        const sha = await blobOf(action);
        changes.push({ path: filePath, mode, type: 'blob', sha });
        present.set(filePath, { mode, oid: sha });
        break;
      }
      case 'update': {
        if (!existing) throw badRequest("A file with this name doesn't exist");
        await checkLastCommit(action, filePath);
        const sha = await blobOf(action);
        const mode = existing.mode as TreeChange['mode'];
        changes.push({ path: filePath, mode, type: 'blob', sha });
        present.set(filePath, { mode, oid: sha });
        break;
      }
      case 'delete': {
        if (!existing) throw badRequest("A file with this name doesn't exist");
        await checkLastCommit(action, filePath);
        changes.push({ path: filePath, mode: '100644', type: 'blob', sha: null });
        present.set(filePath, null);
        break;
      }
      case 'move': {
        const previousPath = normalisePath(action.previous_path ?? '');
        if (previousPath === '') throw invalidParameter('actions[previous_path] is missing');
        const source = await entryOf(previousPath);
        if (!source) throw badRequest("A file with this name doesn't exist");
        if (existing && previousPath !== filePath) throw badRequest('A file with this name already exists');
        await checkLastCommit(action, previousPath);
        const sha = action.content === undefined ? source.oid : await blobOf(action);
        const mode = source.mode as TreeChange['mode'];
        changes.push({ path: previousPath, mode: '100644', type: 'blob', sha: null });
        changes.push({ path: filePath, mode, type: 'blob', sha });
        present.set(previousPath, null);
        present.set(filePath, { mode, oid: sha });
        break;
      }
      case 'chmod': {
        if (!existing) throw badRequest("A file with this name doesn't exist");
        const mode = action.execute_filemode ? '100755' : '100644';
        changes.push({ path: filePath, mode, type: 'blob', sha: existing.oid });
        present.set(filePath, { mode, oid: existing.oid });
        break;
      }
    }
  }
  return changes;
}

/** What a commit is made of: the commits API's parameters, which the single-file API maps onto. */
export interface CommitRequest {
  readonly branch: string;
  readonly message: string;
  readonly actions: readonly CommitAction[];
  readonly startBranch?: string;
  readonly startSha?: string;
  readonly force?: boolean;
  readonly authorName?: string;
  readonly authorEmail?: string;
  /** The 400 message for a stale `last_commit_id` (the commits API and the single-file API word it differently). */
  readonly staleMessage?: (filePath: string) => string;
}

const optionalString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The commit request of `POST /projects/:id/repository/commits`, checked as Grape checks it. */
function commitRequestOf(body: Readonly<Record<string, unknown>>): CommitRequest {
  const branch = required(body.branch, 'branch');
  const message = required(body.commit_message, 'commit_message');
  const actions = actionsOf(body.actions);
  const startBranch = optionalString(body.start_branch);
  const startSha = optionalString(body.start_sha);
  if (startBranch && startSha) throw invalidParameter('start_branch, start_sha are mutually exclusive');
  const authorName = optionalString(body.author_name);
  const authorEmail = optionalString(body.author_email);
  return {
    branch,
    message,
    actions,
    force: flag(body.force) ?? false,
    ...(startBranch ? { startBranch } : {}),
    ...(startSha ? { startSha } : {}),
    ...(authorName ? { authorName } : {}),
    ...(authorEmail ? { authorEmail } : {}),
  };
}

/** One commit from `actions` on `branch` (from `startBranch` or `startSha`), as GitLab's commit service makes it. */
export async function commitActions(context: GitLabContext, request: CommitRequest): Promise<GitCommitObject> {
  const stored = projectOf(context);
  const { store } = context;
  const { branch, message, actions, startBranch, startSha } = request;
  const force = request.force ?? false;
  const git = stored.git;
  const ref = `refs/heads/${branch}`;
  const head = await git.readRef(ref);
  const empty = await git.isEmpty();
  let base: string | undefined;
  if (startSha) {
    if (!/^[0-9a-f]{40}$/.test(startSha) || (await git.objectType(startSha)) !== 'commit')
      throw badRequest(`Invalid start sha: ${startSha}`);
    base = startSha;
  } else if (startBranch && startBranch !== branch) {
    base = await git.readRef(`refs/heads/${startBranch}`);
    if (!base) throw badRequest(`Invalid start branch name: ${startBranch}`);
  } else {
    base = head;
    if (!head && !empty) throw badRequest('You can only create or edit files when you are on a branch');
  }
  const differentStart = startSha !== undefined || (startBranch !== undefined && startBranch !== branch);
  if (differentStart && head && !force) {
    throw badRequest(`A branch called '${branch}' already exists. Switch to that branch in order to make changes`);
  }
  const baseCommit = base ? await git.readCommit(base) : undefined;
  const staleMessage = request.staleMessage ?? ((filePath: string) => `The file has changed since you started editing it: ${filePath}`);
  const changes = await treeChanges(git, baseCommit, actions, staleMessage);
  const identity = commitIdentity(store.user);
  const author: GitIdentity = { ...identity, name: request.authorName ?? identity.name, email: request.authorEmail ?? identity.email };
  let tree: string;
  try {
    tree = await git.buildTree(baseCommit?.tree, changes);
  } catch (error) {
    if (error instanceof GitBackendError && error.reason === 'BAD_PATH')
      throw badRequest(`Your changes could not be committed: invalid path ${error.message}`);
    throw error;
  }
  const oid = await git.writeCommit({ message, tree, parents: baseCommit ? [baseCommit.oid] : [], author, committer: identity });
  try {
    // The branch moves only from the head this commit was computed on: a concurrent commit in between refuses this one.
    await git.swapRef(ref, head, oid);
  } catch (error) {
    if (error instanceof GitBackendError && error.reason === 'REF_MOVED') {
      throw badRequest(`Could not update branch ${branch}. Please refresh and try again.`);
    }
    throw error;
  }
  await store.touch(stored);
  return (await git.readCommit(oid))!;
}

/** The commit `ref` names (a sha, a branch or a tag), or GitLab's 404. */
async function commitAt(context: GitLabContext, ref: string): Promise<GitCommitObject> {
  const git = projectOf(context).git;
  const sha = await git.resolveCommit(ref);
  const commit = sha ? await git.readCommit(sha) : undefined;
  if (!commit) throw notFound('Commit');
  return commit;
}

async function withStats(context: GitLabContext, commit: GitCommitObject) {
  const stored = projectOf(context);
  const parent = commit.parents[0] ? await stored.git.readCommit(commit.parents[0]) : undefined;
  const { additions, deletions } = await treeDiffs(stored.git, parent?.tree, commit.tree);
  return commitDetailObject(context.baseUrl, stored.record, commit, { additions, deletions });
}

/** Commits: create with actions, list (by `ref_name`, `path`, `first_parent`, paginated), get one, its diff. */
export const commitRoutes: readonly GitLabRoute[] = [
  {
    method: 'POST',
    template: '/projects/:id/repository/commits',
    expressPath: `${API_PREFIX}/projects/:id/repository/commits`,
    async handle(context) {
      return created(await withStats(context, await commitActions(context, commitRequestOf(context.body))));
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/commits',
    expressPath: `${API_PREFIX}/projects/:id/repository/commits`,
    async handle(context) {
      const stored = projectOf(context);
      const ref = context.query.ref_name || stored.record.defaultBranch;
      const sha = await stored.git.resolveCommit(ref);
      const filePath = context.query.path ? normalisePath(context.query.path) : undefined;
      let history: GitCommitObject[] = [];
      if (sha) {
        history = flag(context.query.first_parent) ? await stored.git.firstParentHistory(sha) : await stored.git.log(sha, filePath);
        if (filePath && flag(context.query.first_parent)) {
          const touching = new Set((await stored.git.log(sha, filePath)).map((commit) => commit.oid));
          history = history.filter((commit) => touching.has(commit.oid));
        }
      }
      const since = context.query.since ? Date.parse(context.query.since) / 1000 : undefined;
      const until = context.query.until ? Date.parse(context.query.until) / 1000 : undefined;
      if (since !== undefined || until !== undefined) {
        history = history.filter(
          (commit) =>
            (since === undefined || commit.committer.timestamp >= since) && (until === undefined || commit.committer.timestamp <= until),
        );
      }
      if (flag(context.query.with_stats)) {
        const detailed = await Promise.all(history.map((commit) => withStats(context, commit)));
        return okPage(context, detailed, (commit) => commit);
      }
      return okPage(context, history, (commit) => commitObject(context.baseUrl, stored.record, commit));
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/commits/:sha',
    expressPath: `${API_PREFIX}/projects/:id/repository/commits/:sha`,
    async handle(context) {
      const commit = await commitAt(context, context.params.sha!);
      if (flag(context.query.stats) === false)
        return ok(commitDetailObject(context.baseUrl, projectOf(context).record, commit, { additions: 0, deletions: 0 }));
      return ok(await withStats(context, commit));
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/commits/:sha/diff',
    expressPath: `${API_PREFIX}/projects/:id/repository/commits/:sha/diff`,
    async handle(context) {
      const stored = projectOf(context);
      const commit = await commitAt(context, context.params.sha!);
      const parent = commit.parents[0] ? await stored.git.readCommit(commit.parents[0]) : undefined;
      const { diffs } = await treeDiffs(stored.git, parent?.tree, commit.tree);
      return okPage(context, diffs, (diff) => diff);
    },
  },
];
