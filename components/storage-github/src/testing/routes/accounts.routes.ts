import type { AccountRecord } from '../repository-store';
import { organizationObject, publicUser } from '../representations';
import { type RouteContext, type RouteDefinition, notFound, ok } from './route';

/** Public and private repository counts of an account. */
function repositoryCounts(context: RouteContext, account: AccountRecord): { publicCount: number; privateCount: number } {
  const owned = context.store.listRepositories(account.login);
  const privateCount = owned.filter((stored) => stored.record.settings.private).length;
  return { publicCount: owned.length - privateCount, privateCount };
}

/** Accounts: `GET /orgs/{org}` and `GET /users/{username}` for the organizations and users the server knows (made on first use). */
export const accountRoutes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    template: '/orgs/{org}',
    expressPath: '/orgs/:org',
    async handle(context) {
      const account = context.store.findAccount(context.params.org!);
      if (account?.type !== 'Organization') throw notFound();
      const { publicCount, privateCount } = repositoryCounts(context, account);
      return ok(organizationObject(context.urls, account, publicCount, privateCount));
    },
  },
  {
    method: 'GET',
    template: '/users/{username}',
    expressPath: '/users/:username',
    async handle(context) {
      const account = context.store.findAccount(context.params.username!);
      if (!account) throw notFound();
      return ok(publicUser(context.urls, account, repositoryCounts(context, account).publicCount));
    },
  },
];
