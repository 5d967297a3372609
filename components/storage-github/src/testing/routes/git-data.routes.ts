import { GitBackendError, type GitIdentity, type GitObjectType, type TreeChange } from '@metastore/git-host-test-server';
import { gitCommitObject, nodeId, objectUrl, refObject, tagObject, treeEntryObject, wrappedBase64 } from '../representations';
import type { StoredRepository } from '../repository-store';
import { accountIdentity } from './repositories.routes';
import {
  type ApiResponse,
  type RouteContext,
  type RouteDefinition,
  bodyOf,
  created,
  noContent,
  notFound,
  ok,
  repositoryOf,
  unprocessable,
} from './route';

const FULL_SHA = /^[0-9a-f]{40}$/;

interface IdentityInput {
  name: string;
  email: string;
  date?: string;
}

/** Turns an API identity (`date` ISO 8601 with an offset, default now) into git's form; git forbids `<`, `>` and newlines in it. */
function identityFrom(input: IdentityInput, now: Date): GitIdentity {
  const clean = (value: string) => value.replace(/[<>\n\r\0]/g, '').trim();
  const date = input.date ? new Date(input.date) : now;
  const zone = input.date ? /(?:([+-])(\d{2}):?(\d{2})|Z)$/i.exec(input.date) : undefined;
  const offsetMinutes = zone?.[1] ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  return {
    name: clean(input.name),
    email: clean(input.email),
    timestamp: Math.floor(date.getTime() / 1000),
    timezoneOffset: -offsetMinutes,
  };
}

/** `<rest of path>` parameters (`heads/main`, `tags/release/2024`) as full ref names. */
function fullRef(context: RouteContext): string {
  return `refs/${context.params.ref ?? ''}`;
}

async function refAnswer(context: RouteContext, stored: StoredRepository, ref: string, sha: string): Promise<Record<string, unknown>> {
  const type = (await stored.git.objectType(sha)) ?? 'commit';
  return refObject(context.urls, stored.record, ref, sha, type);
}

async function touchPushedAt(context: RouteContext, stored: StoredRepository, ref: string): Promise<void> {
  if (ref.startsWith('refs/heads/')) await context.store.updateRepository(stored, { pushedAt: new Date().toISOString() });
}

function withLocation(response: ApiResponse): ApiResponse {
  const url = (response.body as { url?: string } | undefined)?.url;
  return url ? { ...response, headers: { ...response.headers, location: url } } : response;
}

/** Translates refusals of the git backend into the messages GitHub answers with. */
function refError(error: unknown): never {
  if (error instanceof GitBackendError) {
    switch (error.reason) {
      case 'REF_EXISTS':
        throw unprocessable('Reference already exists');
      case 'REF_MISSING':
        throw unprocessable('Reference does not exist');
      case 'NOT_FAST_FORWARD':
        throw unprocessable('Update is not a fast forward');
      case 'OBJECT_MISSING':
        throw unprocessable('Object does not exist');
      case 'REF_INVALID':
        throw unprocessable(`${error.message} is not a valid ref name.`);
      case 'REF_CONFLICT':
        throw unprocessable('Reference update failed');
      default:
        break;
    }
  }
  throw error;
}

function treeError(error: unknown): never {
  if (error instanceof GitBackendError) {
    if (error.reason === 'BAD_PATH') throw unprocessable('tree.path contains a malformed path component');
    if (error.reason === 'WRONG_OBJECT_TYPE' && error.message.endsWith(' is not a tree'))
      throw unprocessable('base_tree is not a valid tree oid');
    throw unprocessable('GitRPC::BadObjectState');
  }
  throw error;
}

/** Git Data API routes: blobs, trees, commits, refs and annotated tags. */
export const gitDataRoutes: readonly RouteDefinition[] = [
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/blobs',
    expressPath: '/repos/:owner/:repo/git/blobs',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const { content, encoding = 'utf-8' } = bodyOf<{ content: string; encoding?: string }>(context);
      const normalised = encoding.toLowerCase();
      if (normalised !== 'utf-8' && normalised !== 'utf8' && normalised !== 'base64') {
        throw unprocessable(`encoding must be "utf-8" or "base64"`);
      }
      const sha = await stored.git.writeBlob(Buffer.from(content, normalised === 'base64' ? 'base64' : 'utf8'));
      return withLocation(created({ sha, url: objectUrl(context.urls, stored.record, 'blob', sha) }));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/blobs/{file_sha}',
    expressPath: '/repos/:owner/:repo/git/blobs/:file_sha',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const sha = context.params.file_sha!.toLowerCase();
      const bytes = await stored.git.readBlob(sha);
      if (!bytes) throw notFound();
      if (context.media === 'raw') {
        return { status: 200, raw: { bytes, contentType: 'application/vnd.github.raw; charset=utf-8', etag: `"${sha}"` } };
      }
      return ok({
        sha,
        node_id: nodeId('Blob', `${stored.record.id}:${sha}`),
        size: bytes.byteLength,
        url: objectUrl(context.urls, stored.record, 'blob', sha),
        content: wrappedBase64(bytes),
        encoding: 'base64',
      });
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/trees',
    expressPath: '/repos/:owner/:repo/git/trees',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const body = bodyOf<{ base_tree?: string; tree: TreeChange[] }>(context);
      for (const entry of body.tree) {
        const hasSha = 'sha' in entry;
        const hasContent = entry.content !== undefined;
        if (hasSha === hasContent || entry.path === undefined || entry.mode === undefined || entry.type === undefined) {
          throw unprocessable('Must supply either tree.sha or tree.content. Request will be rejected if both are present.');
        }
      }
      let sha: string;
      try {
        sha = await stored.git.buildTree(body.base_tree?.toLowerCase(), body.tree);
      } catch (error) {
        treeError(error);
      }
      const entries = (await stored.git.readTree(sha)) ?? [];
      const tree = await Promise.all(
        entries.map(async (entry) =>
          treeEntryObject(context.urls, stored.record, entry, entry.type === 'blob' ? await stored.git.blobSize(entry.oid) : undefined),
        ),
      );
      return withLocation(created({ sha, url: objectUrl(context.urls, stored.record, 'tree', sha), tree, truncated: false }));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/trees/{tree_sha}',
    expressPath: '/repos/:owner/:repo/git/trees/*tree_sha',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const requested = context.params.tree_sha!;
      let sha: string | undefined;
      const peeled = FULL_SHA.test(requested.toLowerCase()) ? await stored.git.peel(requested.toLowerCase()) : undefined;
      if (peeled?.type === 'tree') sha = peeled.oid;
      else {
        const commit = peeled?.type === 'commit' ? peeled.oid : await stored.git.resolveCommit(requested);
        sha = commit ? (await stored.git.readCommit(commit))?.tree : undefined;
      }
      if (!sha) throw notFound();
      const entries =
        context.query.recursive !== undefined ? await stored.git.readTreeRecursively(sha) : ((await stored.git.readTree(sha)) ?? []);
      const tree = await Promise.all(
        entries.map(async (entry) =>
          treeEntryObject(context.urls, stored.record, entry, entry.type === 'blob' ? await stored.git.blobSize(entry.oid) : undefined),
        ),
      );
      return ok({ sha, url: objectUrl(context.urls, stored.record, 'tree', sha), tree, truncated: false });
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/commits',
    expressPath: '/repos/:owner/:repo/git/commits',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const body = bodyOf<{
        message: string;
        tree: string;
        parents?: string[];
        author?: IdentityInput;
        committer?: Partial<IdentityInput>;
        signature?: string;
      }>(context);
      const parents = body.parents ?? [];
      if (!parents.every((parent) => FULL_SHA.test(parent))) {
        throw unprocessable(`Each SHA in the 'parents' parameter must be exactly 40 characters and contain only [0-9a-f].`);
      }
      const now = new Date();
      const author = body.author ? identityFrom(body.author, now) : accountIdentity(context.authenticatedUser, now);
      const committer = body.committer ? identityFrom({ name: author.name, email: author.email, ...body.committer }, now) : author;
      let sha: string;
      try {
        sha = await stored.git.writeCommit({
          message: body.message,
          tree: body.tree.toLowerCase(),
          parents,
          author,
          committer,
          ...(body.signature ? { signature: body.signature } : {}),
        });
      } catch (error) {
        if (error instanceof GitBackendError && error.message.startsWith('parent '))
          throw unprocessable('Parent SHA does not exist or is not a commit object');
        if (error instanceof GitBackendError && error.reason === 'WRONG_OBJECT_TYPE') throw unprocessable('Tree SHA is not a tree object');
        if (error instanceof GitBackendError) throw unprocessable('Tree SHA does not exist');
        throw error;
      }
      const commit = (await stored.git.readCommit(sha))!;
      return withLocation(created(gitCommitObject(context.urls, stored.record, commit)));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/commits/{commit_sha}',
    expressPath: '/repos/:owner/:repo/git/commits/:commit_sha',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const commit = await stored.git.readCommit(context.params.commit_sha!.toLowerCase());
      if (!commit) throw notFound();
      return ok(gitCommitObject(context.urls, stored.record, commit));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/ref/{ref}',
    expressPath: '/repos/:owner/:repo/git/ref/*ref',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const ref = fullRef(context);
      const sha = await stored.git.readRef(ref);
      if (!sha) throw notFound();
      return ok(await refAnswer(context, stored, ref, sha));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/matching-refs/{ref}',
    expressPath: '/repos/:owner/:repo/git/matching-refs{/*ref}',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const refs = await stored.git.listRefs(fullRef(context));
      return ok(await Promise.all(refs.map((ref) => refAnswer(context, stored, ref.ref, ref.oid))));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/refs',
    expressPath: '/repos/:owner/:repo/git/refs',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const { ref, sha } = bodyOf<{ ref: string; sha: string }>(context);
      if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
        throw unprocessable('Reference name must contain at least three slash-separated components.');
      }
      try {
        await stored.git.createRef(ref, sha.toLowerCase());
      } catch (error) {
        refError(error);
      }
      await touchPushedAt(context, stored, ref);
      return withLocation(created(await refAnswer(context, stored, ref, sha.toLowerCase())));
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/git/refs/{ref}',
    expressPath: '/repos/:owner/:repo/git/refs/*ref',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const ref = fullRef(context);
      const { sha, force = false } = bodyOf<{ sha: string; force?: boolean }>(context);
      try {
        await stored.git.updateRef(ref, sha.toLowerCase(), force);
      } catch (error) {
        refError(error);
      }
      await touchPushedAt(context, stored, ref);
      return ok(await refAnswer(context, stored, ref, sha.toLowerCase()));
    },
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/git/refs/{ref}',
    expressPath: '/repos/:owner/:repo/git/refs/*ref',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      try {
        await stored.git.deleteRef(fullRef(context));
      } catch (error) {
        refError(error);
      }
      return noContent();
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/tags',
    expressPath: '/repos/:owner/:repo/git/tags',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const body = bodyOf<{ tag: string; message: string; object: string; type: Exclude<GitObjectType, 'tag'>; tagger?: IdentityInput }>(
        context,
      );
      // A newline would end the tag object's `tag` header early and corrupt the object.
      if (/[\n\0]/.test(body.tag)) throw unprocessable(`${JSON.stringify(body.tag)} is not a valid tag name`);
      const now = new Date();
      const tagger = body.tagger ? identityFrom(body.tagger, now) : accountIdentity(context.authenticatedUser, now);
      let sha: string;
      try {
        sha = await stored.git.writeTag({
          tag: body.tag,
          message: body.message,
          object: body.object.toLowerCase(),
          type: body.type,
          tagger,
        });
      } catch (error) {
        if (error instanceof GitBackendError && error.reason === 'WRONG_OBJECT_TYPE')
          throw unprocessable('Object type does not match the object');
        if (error instanceof GitBackendError) throw unprocessable('Object does not exist');
        throw error;
      }
      return withLocation(created(tagObject(context.urls, stored.record, (await stored.git.readTag(sha))!)));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/tags/{tag_sha}',
    expressPath: '/repos/:owner/:repo/git/tags/:tag_sha',
    conflictsWhenEmpty: true,
    async handle(context) {
      const stored = repositoryOf(context);
      const tag = await stored.git.readTag(context.params.tag_sha!.toLowerCase());
      if (!tag) throw notFound();
      return ok(tagObject(context.urls, stored.record, tag));
    },
  },
];
