import { createHash } from 'node:crypto';
import { type HostResponse, isBinary } from '@metastore/git-host-test-server';
import { type CommitAction, commitActions, lastCommitFor } from './commits.routes';
import {
  API_PREFIX,
  type GitLabContext,
  type GitLabRoute,
  flag,
  invalidParameter,
  noContent,
  notFound,
  ok,
  projectOf,
  required,
} from './route';

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

const STALE_FILE = 'You are attempting to update a file that has changed since you started editing it.';

/**
 * One file's create, update or delete as one commit through the commits service
 * (https://docs.gitlab.com/api/repository_files/#create-new-file-in-repository and the sections after it).
 */
async function writeFile(context: GitLabContext, action: CommitAction['action']): Promise<string> {
  const { body } = context;
  const filePath = context.params.file_path!;
  const branch = required(body.branch, 'branch');
  const message = required(body.commit_message, 'commit_message');
  if (action !== 'delete' && typeof body.content !== 'string') throw invalidParameter('content is missing');
  const encoding = body.encoding === 'base64' ? 'base64' : 'text';
  const executable = flag(body.execute_filemode);
  await commitActions(context, {
    branch,
    message,
    actions: [
      {
        action,
        file_path: filePath,
        ...(action !== 'delete' ? { content: body.content as string, encoding } : {}),
        ...(typeof body.last_commit_id === 'string' ? { last_commit_id: body.last_commit_id } : {}),
        ...(executable !== undefined ? { execute_filemode: executable } : {}),
      },
    ],
    ...(typeof body.start_branch === 'string' && body.start_branch !== '' ? { startBranch: body.start_branch } : {}),
    ...(typeof body.author_name === 'string' ? { authorName: body.author_name } : {}),
    ...(typeof body.author_email === 'string' ? { authorEmail: body.author_email } : {}),
    staleMessage: () => STALE_FILE,
  });
  return branch;
}

/** Repository files: JSON with base64 content, its metadata alone (HEAD), raw contents, at a `ref`; create, update, delete. */
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
  {
    method: 'POST',
    template: '/projects/:id/repository/files/:file_path',
    expressPath: `${API_PREFIX}/projects/:id/repository/files/:file_path`,
    async handle(context) {
      const branch = await writeFile(context, 'create');
      return { status: 201, body: { file_path: context.params.file_path!, branch } };
    },
  },
  {
    method: 'PUT',
    template: '/projects/:id/repository/files/:file_path',
    expressPath: `${API_PREFIX}/projects/:id/repository/files/:file_path`,
    async handle(context) {
      const branch = await writeFile(context, 'update');
      return ok({ file_path: context.params.file_path!, branch });
    },
  },
  {
    method: 'DELETE',
    template: '/projects/:id/repository/files/:file_path',
    expressPath: `${API_PREFIX}/projects/:id/repository/files/:file_path`,
    async handle(context) {
      await writeFile(context, 'delete');
      return noContent();
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/blobs/:sha/raw',
    expressPath: `${API_PREFIX}/projects/:id/repository/blobs/:sha/raw`,
    async handle(context) {
      // https://docs.gitlab.com/api/repositories/#raw-blob-content
      const bytes = await projectOf(context).git.readBlob(context.params.sha!.toLowerCase());
      if (!bytes) throw notFound('Blob');
      return { status: 200, raw: { bytes, contentType: isBinary(bytes) ? 'application/octet-stream' : 'text/plain; charset=utf-8' } };
    },
  },
];
