export {
  AlreadyExistsError,
  AuthenticationError,
  ConfigurationError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  RevisionConflictError,
  StorageUnavailableError,
  TagMoveForbiddenError,
  ValidationError,
} from './lib/domain.errors';
export type { ErrorCode, ValidationIssue } from './lib/domain.errors';
