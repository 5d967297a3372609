import { GitBackendError, type GitIdentity, type GitTreeEntry } from '@metastore/git-host-test-server';
import { encodePath, gitCommitObject, objectUrl, repositoryApiUrl, repositoryWebUrl, wrappedBase64 } from '../representations';
import type { StoredRepository } from '../repository-store';
import { accountIdentity } from './repositories.routes';
import {
  type ApiResponse,
  type RouteContext,
  type RouteDefinition,
  GitHubErrorResponse,
  bodyOf,
  notFound,
  ok,
  repositoryOf,
  unprocessable,
} from './route';

interface FileChangeBody {
  readonly message: string;
  readonly content?: string;
  readonly sha?: string;
  readonly branch?: string;
  readonly committer?: { readonly name: string; readonly email: string; readonly date?: string };
  readonly author?: { readonly name: string; readonly email: string; readonly date?: string };
}

/** The Contents API answers JSON with the file inline up to 1 MB; larger files come back with `encoding: "none"` and no content. */
const INLINE_CONTENT_LIMIT = 1024 * 1024;

interface Located {
  readonly stored: StoredRepository;
  readonly ref: string;
  readonly commitSha: string;
}

function contentType(entry: GitTreeEntry): 'file' | 'dir' | 'symlink' | 'submodule' {
  if (entry.type === 'tree') return 'dir';
  if (entry.type === 'commit') return 'submodule';
  return entry.mode === '120000' ? 'symlink' : 'file';
}

async function submoduleUrl(located: Located, filePath: string): Promise<string | undefined> {
  const commit = await located.stored.git.readCommit(located.commitSha);
  const modules = commit ? await located.stored.git.entryAtPath(commit.tree, '.gitmodules') : undefined;
  const text = modules ? (await located.stored.git.readBlob(modules.oid))?.toString('utf8') : undefined;
  for (const section of (text ?? '').split(/^\s*\[submodule /m)) {
    if (new RegExp(`^\\s*path\\s*=\\s*${filePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm').test(section)) {
      return /^\s*url\s*=\s*(\S+)\s*$/m.exec(section)?.[1];
    }
  }
  return undefined;
}

/** The fields every Contents API entry carries. */
async function entryObject(
  context: RouteContext,
  located: Located,
  entry: GitTreeEntry,
  filePath: string,
): Promise<Record<string, unknown>> {
  const { record } = located.stored;
  const type = contentType(entry);
  const encoded = encodePath(filePath);
  const refQuery = encodeURIComponent(located.ref);
  const self = `${repositoryApiUrl(context.urls, record)}/contents/${encoded}?ref=${refQuery}`;
  const git = type === 'submodule' ? null : objectUrl(context.urls, record, type === 'dir' ? 'tree' : 'blob', entry.oid);
  const web = repositoryWebUrl(context.urls, record);
  const html = type === 'submodule' ? null : `${web}/${type === 'dir' ? 'tree' : 'blob'}/${refQuery}/${encoded}`;
  const download = type === 'file' || type === 'symlink' ? `${web}/raw/${refQuery}/${encoded}` : null;
  const base: Record<string, unknown> = {
    type,
    size: type === 'file' || type === 'symlink' ? await located.stored.git.blobSize(entry.oid) : 0,
    name: filePath.split('/').pop() ?? '',
    path: filePath,
    sha: entry.oid,
    url: self,
    git_url: git,
    html_url: html,
    download_url: download,
    _links: { self, git, html },
  };
  if (type === 'submodule') base.submodule_git_url = (await submoduleUrl(located, filePath)) ?? `${web}.git`;
  return base;
}

async function locate(context: RouteContext): Promise<Located> {
  const stored = repositoryOf(context);
  const ref = context.query.ref || stored.record.defaultBranch;
  if (await stored.git.isEmpty()) throw notFound('This repository is empty.');
  const commitSha = await stored.git.resolveCommit(ref);
  if (!commitSha) throw notFound(`No commit found for the ref ${ref}`);
  return { stored, ref, commitSha };
}

async function readContents(context: RouteContext, located: Located, requestedPath: string): Promise<ApiResponse> {
  const filePath = requestedPath
    .split('/')
    .filter((segment) => segment !== '')
    .join('/');
  const commit = (await located.stored.git.readCommit(located.commitSha))!;
  const entry = await located.stored.git.entryAtPath(commit.tree, filePath);
  if (!entry) throw notFound();
  if (entry.type === 'tree') {
    const children = (await located.stored.git.readTree(entry.oid)) ?? [];
    const listing = await Promise.all(
      children.map((child) => entryObject(context, located, child, filePath ? `${filePath}/${child.path}` : child.path)),
    );
    if (context.media === 'object') {
      return {
        status: 200,
        body: { ...(await entryObject(context, located, entry, filePath)), entries: listing },
        mediaType: 'application/vnd.github.object',
      };
    }
    return ok(listing);
  }
  if (entry.type === 'commit') return ok(await entryObject(context, located, entry, filePath));
  const bytes = (await located.stored.git.readBlob(entry.oid))!;
  if (context.media === 'raw') {
    return { status: 200, raw: { bytes, contentType: 'application/vnd.github.raw; charset=utf-8', etag: `"${entry.oid}"` } };
  }
  const base = await entryObject(context, located, entry, filePath);
  const body =
    entry.mode === '120000'
      ? { ...base, target: bytes.toString('utf8') }
      : bytes.byteLength > INLINE_CONTENT_LIMIT
        ? { ...base, content: '', encoding: 'none' }
        : { ...base, content: wrappedBase64(bytes), encoding: 'base64' };
  return { status: 200, body, ...(context.media === 'object' ? { mediaType: 'application/vnd.github.object' } : {}) };
}

function identityOf(person: FileChangeBody['author'], fallback: GitIdentity): GitIdentity {
  if (!person) return fallback;
  const timestamp = person.date ? Math.floor(Date.parse(person.date) / 1000) : fallback.timestamp;
  return {
    name: person.name,
    email: person.email,
    timestamp: Number.isFinite(timestamp) ? timestamp : fallback.timestamp,
    timezoneOffset: 0,
  };
}

/**
 * `PUT` (create or update, `content` in base64) and `DELETE` of one file as one commit on `branch` (default: the default
 * branch; an empty repository gets its first commit). Updating or deleting needs the file's current blob `sha`: a
 * different one is 409 `<path> does not match <sha>`, as GitHub answers; so is a branch that moved during the write.
 */
async function changeFile(context: RouteContext, deleting: boolean): Promise<ApiResponse> {
  const stored = repositoryOf(context);
  const body = bodyOf<FileChangeBody>(context);
  const filePath = (context.params.path ?? '')
    .split('/')
    .filter((segment) => segment !== '')
    .join('/');
  if (filePath === '') throw notFound();
  const branch = body.branch || stored.record.defaultBranch;
  const ref = `refs/heads/${branch}`;
  const git = stored.git;
  const head = await git.readRef(ref);
  if (!head && !(await git.isEmpty())) throw notFound(`Branch ${branch} not found`);
  const parent = head ? await git.readCommit(head) : undefined;
  const existing = parent ? await git.entryAtPath(parent.tree, filePath) : undefined;
  if (existing?.type === 'tree') throw unprocessable(`${filePath} is a directory`);
  if (deleting && !existing) throw notFound();
  if (existing && body.sha === undefined) throw unprocessable(`Invalid request.\n\n"sha" wasn't supplied.`);
  if (existing && body.sha !== existing.oid) throw new GitHubErrorResponse(409, `${filePath} does not match ${body.sha}`);
  const blob = deleting ? undefined : await git.writeBlob(Buffer.from(body.content ?? '', 'base64'));
  const tree = await git.buildTree(parent?.tree, [
    blob
      ? { path: filePath, mode: existing?.mode === '100755' ? '100755' : '100644', type: 'blob', sha: blob }
      : { path: filePath, mode: '100644', type: 'blob', sha: null },
  ]);
  const committer = identityOf(body.committer, accountIdentity(context.authenticatedUser));
  const author = identityOf(body.author, committer);
  const commit = await git.writeCommit({ message: body.message, tree, parents: parent ? [parent.oid] : [], author, committer });
  try {
    await git.swapRef(ref, head, commit);
  } catch (error) {
    if (error instanceof GitBackendError && error.reason === 'REF_MOVED') {
      throw new GitHubErrorResponse(409, `${filePath} does not match ${body.sha ?? existing?.oid ?? ''}`);
    }
    throw error;
  }
  const now = new Date().toISOString();
  const updated = await context.store.updateRepository(stored, { pushedAt: now, updatedAt: now });
  const written = (await git.readCommit(commit))!;
  const located: Located = { stored: updated, ref: branch, commitSha: commit };
  const content = blob ? await entryObject(context, located, (await git.entryAtPath(written.tree, filePath))!, filePath) : null;
  return {
    status: existing || deleting ? 200 : 201,
    body: { content, commit: gitCommitObject(context.urls, updated.record, written) },
  };
}

/** Contents API (`GET`, `PUT`, `DELETE /repos/{owner}/{repo}/contents/{path}`) and the raw download URLs its answers point at. */
export const contentsRoutes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/contents/{path}',
    expressPath: '/repos/:owner/:repo/contents{/*path}',
    async handle(context) {
      return readContents(context, await locate(context), context.params.path ?? '');
    },
  },
  {
    method: 'PUT',
    template: '/repos/{owner}/{repo}/contents/{path}',
    expressPath: '/repos/:owner/:repo/contents/*path',
    handle: (context) => changeFile(context, false),
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/contents/{path}',
    expressPath: '/repos/:owner/:repo/contents/*path',
    handle: (context) => changeFile(context, true),
  },
  {
    method: 'GET',
    template: '/{owner}/{repo}/raw/{ref}/{path}',
    expressPath: '/:owner/:repo/raw/:ref/*path',
    rateLimited: false,
    undocumented: true,
    async handle(context) {
      const located = await locate({ ...context, query: { ref: context.params.ref } });
      return readContents({ ...context, media: 'raw' }, located, context.params.path ?? '');
    },
  },
];
