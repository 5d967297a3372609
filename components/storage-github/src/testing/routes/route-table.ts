import { accountRoutes } from './accounts.routes';
import { appRoutes } from './apps.routes';
import { commitRoutes } from './commits.routes';
import { contentsRoutes } from './contents.routes';
import { gitDataRoutes } from './git-data.routes';
import { type RateLimitSnapshot, metaRoutes } from './meta.routes';
import { repositoryRoutes } from './repositories.routes';
import type { RouteDefinition } from './route';

/** Every route of the test server, in registration order. */
export function allRoutes(rateLimit: () => RateLimitSnapshot): readonly RouteDefinition[] {
  return [
    ...repositoryRoutes,
    ...gitDataRoutes,
    ...commitRoutes,
    ...metaRoutes(rateLimit),
    ...contentsRoutes,
    ...appRoutes,
    ...accountRoutes,
  ];
}
