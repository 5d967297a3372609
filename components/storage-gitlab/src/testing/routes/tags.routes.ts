import { GitBackendError, type GitRepository, isValidPathComponent } from '@metastore/git-host-test-server';
import { tagObject } from '../representations';
import { commitIdentity } from './commits.routes';
import {
  API_PREFIX,
  type GitLabContext,
  type GitLabRoute,
  GitLabErrorResponse,
  badRequest,
  created,
  noContent,
  notFound,
  ok,
  okPage,
  projectOf,
  required,
  sortBy,
} from './route';

/**
 * The message as Tags::CreateService keeps it (`message&.strip`,
 * https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/services/tags/create_service.rb): Ruby's String#strip removes NUL,
 * tab, line feed, vertical tab, form feed, carriage return and space at both ends.
 */
function rubyStrip(message: string): string {
  return message.replace(/^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g, '');
}

/** The JSON of the tag `name`, or undefined when there is none. */
async function presentTag(context: GitLabContext, git: GitRepository, name: string): Promise<Record<string, unknown> | undefined> {
  const target = await git.readRef(`refs/tags/${name}`);
  if (!target) return undefined;
  const annotated = await git.readTag(target);
  const peeled = await git.peel(target);
  const commit = peeled?.type === 'commit' ? await git.readCommit(peeled.oid) : undefined;
  if (!commit) return undefined;
  return tagObject(context.baseUrl, projectOf(context).record, name, target, annotated, commit);
}

/** Tags (https://docs.gitlab.com/api/tags/): list (ordered, searched, paginated), get, create (annotated with `message`), delete. */
export const tagRoutes: readonly GitLabRoute[] = [
  {
    method: 'GET',
    template: '/projects/:id/repository/tags',
    expressPath: `${API_PREFIX}/projects/:id/repository/tags`,
    async handle(context) {
      const { git } = projectOf(context);
      const search = context.query.search;
      const tags: Record<string, unknown>[] = [];
      for (const ref of await git.listRefs('refs/tags/')) {
        const name = ref.ref.slice('refs/tags/'.length);
        if (search && !(search.startsWith('^') ? name.startsWith(search.slice(1)) : name.includes(search))) continue;
        const tag = await presentTag(context, git, name);
        if (tag) tags.push(tag);
      }
      const orderBy = context.query.order_by ?? 'updated';
      if (!['name', 'updated', 'version'].includes(orderBy))
        throw new GitLabErrorResponse(400, { error: 'order_by does not have a valid value' });
      const ordered =
        orderBy === 'updated'
          ? sortBy(tags, (tag) => String((tag.commit as { committed_date: string }).committed_date), context.query.sort, 'desc')
          : sortBy(tags, (tag) => String(tag.name), context.query.sort, 'desc');
      return okPage(context, ordered, (tag) => tag);
    },
  },
  {
    method: 'GET',
    template: '/projects/:id/repository/tags/:tag_name',
    expressPath: `${API_PREFIX}/projects/:id/repository/tags/:tag_name`,
    async handle(context) {
      const tag = await presentTag(context, projectOf(context).git, context.params.tag_name!);
      if (!tag) throw notFound('Tag');
      return ok(tag);
    },
  },
  {
    method: 'POST',
    template: '/projects/:id/repository/tags',
    expressPath: `${API_PREFIX}/projects/:id/repository/tags`,
    async handle(context) {
      const stored = projectOf(context);
      const { git } = stored;
      const name = required(context.body.tag_name ?? context.query.tag_name, 'tag_name');
      const ref = required(context.body.ref ?? context.query.ref, 'ref');
      const given = context.body.message ?? context.query.message;
      const message = typeof given === 'string' ? rubyStrip(given) : given;
      // GitLab answers refusals here with 400 in code (its docs say 405).
      if (!name.split('/').every(isValidPathComponent)) throw badRequest('Tag name invalid');
      const commit = await git.resolveCommit(ref);
      if (!commit) throw badRequest('Target ' + ref + ' is invalid');
      if (await git.readRef(`refs/tags/${name}`)) throw badRequest(`Tag ${name} already exists`);
      let target = commit;
      // An empty message (after the strip) makes a lightweight tag, as Gitaly's UserCreateTag does.
      if (typeof message === 'string' && message !== '') {
        target = await git.writeTag({ tag: name, message, object: commit, type: 'commit', tagger: commitIdentity(context.store.user) });
      }
      try {
        await git.createRef(`refs/tags/${name}`, target);
      } catch (error) {
        if (error instanceof GitBackendError && (error.reason === 'REF_EXISTS' || error.reason === 'REF_CONFLICT')) {
          throw badRequest(`Tag ${name} already exists`);
        }
        if (error instanceof GitBackendError && error.reason === 'REF_INVALID') throw badRequest('Tag name invalid');
        throw error;
      }
      await context.store.touch(stored);
      return created(await presentTag(context, git, name));
    },
  },
  {
    method: 'DELETE',
    template: '/projects/:id/repository/tags/:tag_name',
    expressPath: `${API_PREFIX}/projects/:id/repository/tags/:tag_name`,
    async handle(context) {
      const stored = projectOf(context);
      try {
        await stored.git.deleteRef(`refs/tags/${context.params.tag_name!}`);
      } catch (error) {
        if (error instanceof GitBackendError && error.reason === 'REF_MISSING') throw notFound('Tag');
        throw error;
      }
      await context.store.touch(stored);
      return noContent();
    },
  },
];
