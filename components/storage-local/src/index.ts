export { LocalGitStorage } from './lib/local-git.adapter';
export { localGitStorageVariables, parseLocalGitStorageConfig } from './lib/local-git.config';
export type { LocalGitStorageConfig } from './lib/local-git.config';
