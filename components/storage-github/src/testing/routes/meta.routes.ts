import type { RateLimitSnapshot as BucketSnapshot } from '@metastore/git-host-test-server';
import { privateUser } from '../representations';
import { type RouteDefinition, ok } from './route';

/** The current state of a rate-limit bucket and its name (`core`). */
export interface RateLimitSnapshot extends BucketSnapshot {
  readonly resource: string;
}

/** The authenticated user and rate-limit routes; `rateLimit` reads the server's core bucket. */
export function metaRoutes(rateLimit: () => RateLimitSnapshot): readonly RouteDefinition[] {
  return [
    {
      method: 'GET',
      template: '/rate_limit',
      expressPath: '/rate_limit',
      // "Accessing this endpoint does not count against your REST API rate limit." (GitHub docs)
      rateLimited: false,
      async handle() {
        const core = rateLimit();
        const bucket = (resource: string, limit: number) => ({ limit, remaining: limit, reset: core.reset, used: 0, resource });
        return ok({
          resources: {
            core,
            search: bucket('search', 30),
            graphql: bucket('graphql', 5000),
            integration_manifest: bucket('integration_manifest', 5000),
            source_import: bucket('source_import', 100),
            code_scanning_upload: bucket('code_scanning_upload', 1000),
            actions_runner_registration: bucket('actions_runner_registration', 10000),
            scim: bucket('scim', 15000),
            dependency_snapshots: bucket('dependency_snapshots', 100),
            code_search: bucket('code_search', 10),
          },
          rate: core,
        });
      },
    },
    {
      method: 'GET',
      template: '/user',
      expressPath: '/user',
      async handle(context) {
        const owned = context.store.listRepositories(context.authenticatedUser.login);
        const privateCount = owned.filter((stored) => stored.record.settings.private).length;
        return ok(privateUser(context.urls, context.authenticatedUser, owned.length - privateCount, privateCount));
      },
    },
  ];
}
