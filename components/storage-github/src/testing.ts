export { startGitHubTestServer } from './testing/github-test-server';
export type { GitHubTestServer, GitHubTestServerOptions, RecordedRequest } from './testing/github-test-server';
export type { FaultKind, FaultRule, GitHubTestServerFaults, InjectedFault, NotFoundWindow } from './testing/faults';
export type { SchemaViolation } from './testing/openapi-validation';
export type { AppPermissionLevel, GitHubTestApp, IssuedInstallationToken, RecordedCredential } from './testing/github-apps';
export { seedGitHubRepositories } from './testing/seed-repositories';
export type { SeedContent, SeedResult, SeededRepository } from './testing/seed-repositories';
