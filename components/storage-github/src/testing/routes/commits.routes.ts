import type { GitCommitObject } from '@metastore/git-host-test-server';
import { countLineChanges } from '@metastore/git-host-test-server';
import { commitObject, encodePath, repositoryApiUrl, repositoryWebUrl, type ServerUrls } from '../representations';
import type { StoredRepository } from '../repository-store';
import { GitHubErrorResponse, type RouteContext, type RouteDefinition, ok, paginate, repositoryOf, unprocessable } from './route';

function accountResolver(context: RouteContext): (email: string) => ReturnType<RouteContext['store']['findAccount']> {
  // GitHub links a commit to the account whose (no-reply) e-mail it carries.
  return (email) => {
    const match = /^(\d+)\+([^@]+)@users\.noreply\.github\.com$/i.exec(email);
    const account = match ? context.store.findAccount(match[2]!) : undefined;
    return account && String(account.id) === match![1] ? account : undefined;
  };
}

/** The `stats` and `files` of a commit against its first parent, like GitHub's single-commit answer. */
async function commitChanges(urls: ServerUrls, stored: StoredRepository, commit: GitCommitObject): Promise<Record<string, unknown>> {
  const parent = commit.parents[0] ? await stored.git.readCommit(commit.parents[0]) : undefined;
  const differences = await stored.git.diffTrees(parent?.tree, commit.tree);
  const api = repositoryApiUrl(urls, stored.record);
  const web = repositoryWebUrl(urls, stored.record);
  let additions = 0;
  let deletions = 0;
  const files = [];
  for (const difference of differences) {
    const before = difference.oldOid ? await stored.git.readBlob(difference.oldOid) : undefined;
    const after = difference.newOid ? await stored.git.readBlob(difference.newOid) : undefined;
    const counts = countLineChanges(before, after);
    additions += counts.additions;
    deletions += counts.deletions;
    const encoded = encodePath(difference.path);
    files.push({
      sha: difference.newOid ?? difference.oldOid ?? null,
      filename: difference.path,
      status: difference.status,
      additions: counts.additions,
      deletions: counts.deletions,
      changes: counts.additions + counts.deletions,
      blob_url: `${web}/blob/${commit.oid}/${encoded}`,
      raw_url: `${web}/raw/${commit.oid}/${encoded}`,
      contents_url: `${api}/contents/${encoded}?ref=${commit.oid}`,
    });
  }
  return { stats: { total: additions + deletions, additions, deletions }, files };
}

/** Commits routes: one commit by any ref (JSON or the bare sha) and the history list. */
export const commitRoutes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}',
    expressPath: '/repos/:owner/:repo/commits/*ref',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const ref = context.params.ref!;
      const sha = await stored.git.resolveCommit(ref);
      if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`);
      if (context.media === 'sha') {
        return {
          status: 200,
          raw: { bytes: Buffer.from(sha), contentType: 'application/vnd.github.sha; charset=utf-8' },
          mediaType: 'application/vnd.github.sha',
        };
      }
      const commit = (await stored.git.readCommit(sha))!;
      return ok({
        ...commitObject(context.urls, stored.record, commit, accountResolver(context)),
        ...(await commitChanges(context.urls, stored, commit)),
      });
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits',
    expressPath: '/repos/:owner/:repo/commits',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const revision = context.query.sha || stored.record.defaultBranch;
      const sha = await stored.git.resolveCommit(revision);
      if (!sha) {
        if (context.query.sha) throw new GitHubErrorResponse(404, `No commit found for SHA: ${revision}`);
        throw new GitHubErrorResponse(409, 'Git Repository is empty.');
      }
      const filePath = context.query.path?.replace(/^\/+|\/+$/g, '') || undefined;
      const history = await stored.git.log(sha, filePath);
      const page = paginate(context, history);
      return ok(
        page.items.map((commit) => commitObject(context.urls, stored.record, commit, accountResolver(context))),
        page.headers,
      );
    },
  },
];
