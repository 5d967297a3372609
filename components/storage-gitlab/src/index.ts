export { GitLabStorage } from './lib/gitlab.adapter';
export { gitLabStorageVariables, parseGitLabStorageConfig } from './lib/gitlab.config';
export type { GitLabAuthentication, GitLabConfigDefaults, GitLabStorageConfig } from './lib/gitlab.config';
export { GitLabApiError, GitLabNetworkError } from './lib/gitlab.errors';
export type { ClientLogger, RateLimitBudget } from './lib/gitlab-requester';
