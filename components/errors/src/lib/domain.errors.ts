/** Every stable error code a Metastore component may raise; the API maps each to an HTTP status. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_ALREADY_EXISTS'
  | 'REF_NOT_FOUND'
  | 'REVISION_NOT_FOUND'
  | 'RESOURCE_NOT_FOUND'
  | 'TAG_NOT_FOUND'
  | 'TAG_ALREADY_EXISTS'
  | 'TAG_MOVE_REQUIRES_FORCE'
  | 'REVISION_CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'DESCRIPTOR_INVALID'
  | 'STORAGE_UNAVAILABLE'
  | 'CONFIGURATION_INVALID'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'TOKEN_MINTING_UNAVAILABLE';

/** One problem found in an input, located by a JSON pointer (RFC 6901) into that input. */
export interface ValidationIssue {
  readonly pointer: string;
  readonly message: string;
}

/** Base of every error raised on purpose by Metastore components: a stable `code` and a human message. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that breaks a rule; `issues` lists every problem found, not only the first. */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super('VALIDATION_FAILED', message);
  }

  /** The issues `check` throws as a ValidationError, none if it passes; any other error is rethrown. */
  static issuesOf(check: () => unknown): readonly ValidationIssue[] {
    try {
      check();
      return [];
    } catch (error) {
      if (error instanceof ValidationError) return error.issues;
      throw error;
    }
  }

  /** The same error with every pointer placed under `prefix` (when the input sat inside a larger document). */
  underPointer(prefix: string): ValidationError {
    return new ValidationError(
      this.message,
      this.issues.map((issue) => ({ ...issue, pointer: `${prefix}${issue.pointer}` })),
    );
  }
}

/** Something named by the caller does not exist (a dataset, ref, revision, resource or tag). */
export class NotFoundError extends DomainError {
  constructor(code: Extract<ErrorCode, `${string}_NOT_FOUND`>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Something the caller asked to create exists already. */
export class AlreadyExistsError extends DomainError {
  constructor(code: Extract<ErrorCode, `${string}_ALREADY_EXISTS`>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A write was based on a parent revision that is no longer the head: nothing was written. */
export class RevisionConflictError extends DomainError {
  constructor(
    readonly expectedParent: string,
    readonly actualHead: string | undefined,
    options?: { cause?: unknown },
  ) {
    super('REVISION_CONFLICT', `the dataset changed concurrently: expected head ${expectedParent}, found ${actualHead ?? 'none'}`, options);
  }
}

/** A conditional write (If-Match) named a revision that is not the current head. */
export class PreconditionFailedError extends DomainError {
  constructor(
    readonly expected: string,
    readonly actual?: string,
  ) {
    super(
      'PRECONDITION_FAILED',
      actual ? `the dataset is at revision ${actual}, not ${expected}` : `the dataset is no longer at revision ${expected}`,
    );
  }
}

/** A tag may change its description freely, but moving it to another revision needs `force`. */
export class TagMoveForbiddenError extends DomainError {
  constructor(tag: string) {
    super('TAG_MOVE_REQUIRES_FORCE', `tag '${tag}' points at another revision; moving a tag requires force: true`);
  }
}

/** The storage backend failed in a way the caller cannot fix (I/O error, upstream outage, a rate limit that resets later). */
export class StorageUnavailableError extends DomainError {
  /** When known (a git host's rate limit), how many seconds until trying again can succeed. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super('STORAGE_UNAVAILABLE', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * The descriptor stored at a revision is not valid JSON, or not a JSON object (pushed to the git
 * repository by other means). Nothing can be read or merged at that revision; a full replacement or a
 * revert to a good revision repairs the dataset.
 */
export class DescriptorInvalidError extends DomainError {
  constructor(
    readonly dataset: string,
    readonly revision: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'DESCRIPTOR_INVALID',
      `the descriptor of ${dataset} at revision ${revision} is ${reason}; replace it (PUT) or revert to an earlier revision`,
      options,
    );
  }
}

/** A configuration value is missing or malformed; the message names each bad setting. */
export class ConfigurationError extends DomainError {
  constructor(message: string) {
    super('CONFIGURATION_INVALID', message);
  }
}

/** The request carries no credentials, or credentials that cannot be accepted (bad signature, expired, revoked). */
export class AuthenticationError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHENTICATED', message, options);
  }
}

/** The caller is known and may see the target, but may not do this to it. */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** This installation cannot sign tokens (it verifies with public keys or a JWKS only): get tokens from the identity provider. */
export class TokenMintingUnavailableError extends DomainError {
  constructor(message: string) {
    super('TOKEN_MINTING_UNAVAILABLE', message);
  }
}
