export {
  AlreadyExistsError,
  AuthenticationError,
  ConfigurationError,
  DescriptorInvalidError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  RevisionConflictError,
  StorageUnavailableError,
  TagMoveForbiddenError,
  TokenMintingUnavailableError,
  ValidationError,
} from './lib/domain.errors';
export type { ErrorCode, ValidationIssue } from './lib/domain.errors';
export { escapePointerToken } from './lib/json-pointer';
