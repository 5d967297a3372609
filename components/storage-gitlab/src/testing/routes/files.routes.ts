import { createHash } from 'node:crypto';
import { type HostResponse, isBinary } from '@metastore/git-host-test-server';
import { lastCommitFor } from './commits.routes';
import { API_PREFIX, type GitLabContext, type GitLabRoute, notFound, ok, projectOf, required } from './route';

interface LocatedFile {
  readonly headers: Record<string, string>;
  readonly metadata: Record<string, unknown>;
  readonly bytes: Buffer;
}

/** The file at `file_path` on `ref`, with GitLab's `X-Gitlab-*` headers (https://docs.gitlab.com/api/repository_files/). */
async function locate(context: GitLabContext, ref: string): Promise<LocatedFile> {
  const stored = projectOf(context);
  const filePath = context.params
    .file_path!.split('/')
    .filter((part) => part !== '')
    .join('/');
  const commitId = await stored.git.resolveCommit(ref);
  if (!commitId) throw notFound('Commit');
  const commit = (await stored.git.readCommit(commitId))!;
  const entry = filePath === '' ? undefined : await stored.git.entryAtPath(commit.tree, filePath);
  if (!entry || entry.type !== 'blob') throw notFound('File');
  const bytes = (await stored.git.readBlob(entry.oid))!;
  const lastCommitId = (await lastCommitFor(stored.git, commitId, filePath)) ?? commitId;
  const metadata = {
    file_name: filePath.split('/').pop()!,
    file_path: filePath,
    size: bytes.byteLength,
    encoding: 'base64',
    content_sha256: createHash('sha256').update(bytes).digest('hex'),
    ref,
    blob_id: entry.oid,
    commit_id: commitId,
    last_commit_id: lastCommitId,
    execute_filemode: entry.mode === '100755',
  };
  const headers = {
    'x-gitlab-blob-id': entry.oid,
    'x-gitlab-commit-id': commitId,
    'x-gitlab-content-sha256': metadata.content_sha256,
    'x-gitlab-encoding': 'base64',
    'x-gitlab-file-name': encodeURIComponent(metadata.file_name),
    'x-gitlab-file-path': encodeURIComponent(filePath),
    'x-gitlab-last-commit-id': lastCommitId,
    'x-gitlab-ref': encodeURIComponent(ref),
    'x-gitlab-size': String(bytes.byteLength),
    'x-gitlab-execute-filemode': String(metadata.execute_filemode),
  };
  return { headers, metadata, bytes };
}

function raw(file: LocatedFile): HostResponse {
  const contentType = isBinary(file.bytes) ? 'application/octet-stream' : 'text/plain; charset=utf-8';
  return { status: 200, raw: { bytes: file.bytes, contentType }, headers: file.headers };
}

/** Repository files: JSON with base64 content, its metadata alone (HEAD), and raw contents, at a `ref`. */
export const fileRoutes: readonly GitLabRoute[] = [
  {
    method: 'HEAD',
    template: '/projects/:id/repository/files/:file_path',
    expressPath: `${API_PREFIX}/projects/:id/repository/files/:file_path`,
    async handle(context) {
      const file = await locate(context, required(context.query.ref, 'ref'));
      return { status: 200, headers: file.headers };
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/files/:file_path',
    expressPath: `${API_PREFIX}/projects/:id/repository/files/:file_path`,
    async handle(context) {
      const file = await locate(context, required(context.query.ref, 'ref'));
      return ok({ ...file.metadata, content: file.bytes.toString('base64') }, file.headers);
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/files/:file_path/raw',
    expressPath: `${API_PREFIX}/projects/:id/repository/files/:file_path/raw`,
    async handle(context) {
      // `ref` is optional here: the default branch (https://docs.gitlab.com/api/repository_files/#get-raw-file-from-repository).
      return raw(await locate(context, context.query.ref || projectOf(context).record.defaultBranch));
    },
  },
];
