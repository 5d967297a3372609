export { GITLAB_ROUTES, startGitLabTestServer } from './testing/gitlab-test-server';
export type {
  GitLabFaultKind,
  GitLabFaultRule,
  GitLabTestServer,
  GitLabTestServerFaults,
  GitLabTestServerOptions,
} from './testing/gitlab-test-server';
export type { InjectedFault, NotFoundWindow, RecordedRequest, SchemaViolation } from '@metastore/git-host-test-server';
export { seedGitLabProjects } from './testing/seed-projects';
export type { SeedProjectContent, SeedProjectsResult, SeededProject } from './testing/seed-projects';
