import type { AppPermissionLevel, RegisteredApp } from '../github-apps';
import { installationObject, integrationObject, isoSeconds } from '../representations';
import { type RouteContext, type RouteDefinition, bodyOf, created, notFound, ok, unprocessable } from './route';

/** The App a route authenticated with its JWT (the server checks it before the handler runs). */
function appOf(context: RouteContext): RegisteredApp {
  if (!context.app) throw new Error('route is not App-authenticated');
  return context.app;
}

/** GitHub App endpoints, authenticated with the App's JWT: the App itself, installation lookups, installation access tokens. */
export const appRoutes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    template: '/app',
    expressPath: '/app',
    authentication: 'app',
    async handle(context) {
      const app = appOf(context);
      return ok(integrationObject(context.urls, app, context.authenticatedUser, context.apps.installationCount(app)));
    },
  },
  {
    method: 'GET',
    template: '/orgs/{org}/installation',
    expressPath: '/orgs/:org/installation',
    authentication: 'app',
    async handle(context) {
      const existing = context.store.findAccount(context.params.org!);
      if (existing && existing.type !== 'Organization') throw notFound();
      // Organisations spring into existence on first use here, as they do for repository creation.
      const account = existing ?? (await context.store.ensureAccount(context.params.org!, 'Organization'));
      return ok(installationObject(context.urls, context.apps.installationFor(appOf(context), account)));
    },
  },
  {
    method: 'GET',
    template: '/users/{username}/installation',
    expressPath: '/users/:username/installation',
    authentication: 'app',
    async handle(context) {
      // GitHub serves organisations here too (an organisation is a user in the REST API).
      const account =
        context.store.findAccount(context.params.username!) ?? (await context.store.ensureAccount(context.params.username!, 'User'));
      return ok(installationObject(context.urls, context.apps.installationFor(appOf(context), account)));
    },
  },
  {
    method: 'POST',
    template: '/app/installations/{installation_id}/access_tokens',
    expressPath: '/app/installations/:installation_id/access_tokens',
    authentication: 'app',
    async handle(context) {
      const id = Number(context.params.installation_id);
      if (!Number.isSafeInteger(id)) throw notFound();
      const installation = context.apps.installationById(appOf(context), id);
      const body = bodyOf<{ repositories?: string[]; repository_ids?: number[]; permissions?: Record<string, AppPermissionLevel> }>(
        context,
      );
      if (body.repositories !== undefined || body.repository_ids !== undefined) {
        // Not implemented: tokens always cover every repository of the installation.
        throw unprocessable('The GitHub test server does not implement repository-scoped installation tokens.');
      }
      const token = context.apps.issueToken(installation, body.permissions);
      return created({
        token: token.token,
        expires_at: isoSeconds(token.expiresAt),
        permissions: token.permissions,
        repository_selection: 'all',
      });
    },
  },
];
