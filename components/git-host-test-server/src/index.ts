export { EMPTY_TREE, GitBackendError, GitRepository, isValidPathComponent } from './lib/git-repository';
export type {
  GitCommitObject,
  GitFailure,
  GitIdentity,
  GitObjectType,
  GitRef,
  GitTagObject,
  GitTreeEntry,
  TreeChange,
  TreeDifference,
  TreeEntryMode,
  TreeEntryType,
} from './lib/git-repository';
export { countLineChanges, isBinary } from './lib/line-diff';
export type { LineCounts } from './lib/line-diff';
export { FaultInjector } from './lib/faults';
export type { CommonFaultKind, FaultDecision, FaultRule, HostFaults, InjectedFault, NotFoundWindow } from './lib/faults';
export { RateLimiter, rateLimitHeaders } from './lib/rate-limit';
export type { RateLimitHeaderNames, RateLimitSnapshot } from './lib/rate-limit';
export { SchemaValidator } from './lib/schema-validation';
export type { SchemaViolation } from './lib/schema-validation';
export { GitRepositoryStore, JsonRecordStore, RepositoryExistsError } from './lib/repository-store';
export type { Identified, StoreOptions, StoredGitRepository } from './lib/repository-store';
export { etagMatches, openDataDirectory, queryParams, routeParams, startHostServer, strongEtag, weakEtag } from './lib/host-server';
export type { AnsweredFault, HostResponse, HostRoute, HostServer, HostServerOptions, HttpMethod, RecordedRequest } from './lib/host-server';
export { pageRequest, pageUrl } from './lib/pagination';
export type { PageRequest } from './lib/pagination';
export { nonNegativeInteger, STANDALONE_OPTIONS, standaloneServerOptions } from './lib/standalone-options';
export type { StandaloneServerOptions } from './lib/standalone-options';
