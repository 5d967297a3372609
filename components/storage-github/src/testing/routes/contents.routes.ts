import type { GitTreeEntry } from '@metastore/git-host-test-server';
import { encodePath, objectUrl, repositoryApiUrl, repositoryWebUrl, wrappedBase64 } from '../representations';
import type { StoredRepository } from '../repository-store';
import { type ApiResponse, type RouteContext, type RouteDefinition, notFound, ok, repositoryOf } from './route';

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

/** Contents API (`GET /repos/{owner}/{repo}/contents/{path}`) and the raw download URLs its answers point at. */
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
