export { GitHubStorage } from './lib/github.adapter';
export { gitHubStorageVariables, parseGitHubStorageConfig } from './lib/github.config';
export type { GitHubAuthentication, GitHubConfigDefaults, GitHubStorageConfig } from './lib/github.config';
export { GitHubApiError } from './lib/github.errors';
export type { RateLimitBudget } from './lib/github-client';
