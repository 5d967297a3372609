import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { DomainError, StorageUnavailableError, ValidationError, type ErrorCode, type ValidationIssue } from '@metastore/errors';
import { logOf } from './request-log';

/** Codes the HTTP layer adds to the domain's. */
export type HttpErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_URL'
  | 'JSON_TOO_DEEP'
  | 'INVALID_CONTENT_ENCODING'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROUTE_NOT_FOUND'
  | 'WEBHOOK_UNVERIFIED'
  | 'INTERNAL_ERROR';

const STATUS_BY_CODE: Record<ErrorCode | HttpErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_URL: 400,
  JSON_TOO_DEEP: 400,
  INVALID_CONTENT_ENCODING: 400,
  DATASET_NOT_FOUND: 404,
  REF_NOT_FOUND: 404,
  REVISION_NOT_FOUND: 404,
  RESOURCE_NOT_FOUND: 404,
  TAG_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  DATASET_ALREADY_EXISTS: 409,
  TAG_ALREADY_EXISTS: 409,
  TAG_MOVE_REQUIRES_FORCE: 409,
  REVISION_CONFLICT: 409,
  // The stored datapackage.json at a revision is not a JSON object: a conflict with the resource's state, which PUT or a revert resolves.
  DESCRIPTOR_INVALID: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONFIGURATION_INVALID: 500,
  INTERNAL_ERROR: 500,
  STORAGE_UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
  // A webhook delivery without a valid signature (or secret token) for its host.
  WEBHOOK_UNVERIFIED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  TOKEN_MINTING_UNAVAILABLE: 501,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** The RFC 9457 problem type URI of a code; stable, documented in the OpenAPI description. */
export function problemType(code: string): string {
  return `urn:metastore:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** The RFC 6750 challenge of this API's 401 answers. */
export const BEARER_CHALLENGE = 'Bearer realm="metastore"';

/** Sends an RFC 9457 `application/problem+json` response; `extensions` are extra members (RFC 9457 §3.2), such as readiness checks. */
export function sendProblem(
  res: Response,
  code: ErrorCode | HttpErrorCode,
  detail: string,
  extra: { errors?: readonly ValidationIssue[]; extensions?: Readonly<Record<string, unknown>> } = {},
): void {
  const status = STATUS_BY_CODE[code];
  // RFC 6750: every 401 carries the Bearer challenge (callers that know why the token failed have set a fuller one).
  if (status === 401 && !res.get('WWW-Authenticate')) res.set('WWW-Authenticate', BEARER_CHALLENGE);
  res
    .status(status)
    .type('application/problem+json')
    .json({
      // Extension members first: none may replace a standard one.
      ...extra.extensions,
      type: problemType(code),
      title: TITLES[status] ?? 'Error',
      status,
      code,
      detail,
      instance: res.req.originalUrl,
      ...(res.req.id !== undefined ? { requestId: String(res.req.id) } : {}),
      ...(extra.errors ? { errors: extra.errors } : {}),
    });
}

/** Answers unknown routes with a 404 problem. */
export const routeNotFound: RequestHandler = (req, res) => {
  sendProblem(res, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

/**
 * What a failure answers instead of its message, which may name a host, a path or a driver's words: the cause goes to
 * the log (with the request id), never to the client. 501 (a capability this installation lacks) keeps its message.
 */
const FAILURE_DETAILS: Partial<Record<ErrorCode | HttpErrorCode, string>> = {
  STORAGE_UNAVAILABLE:
    'a backend this service depends on (git storage or the catalog database) is unavailable; try again later (the request id identifies the failure in the logs)',
  CONFIGURATION_INVALID: 'the service is misconfigured (the request id identifies the failure in the logs)',
  INTERNAL_ERROR: 'an unexpected error occurred; the request id identifies it in the logs',
};

/** The detail a problem of `code` may show: `message`, unless the code is a server failure (500, 502 and above). */
export function clientSafeDetail(code: ErrorCode | HttpErrorCode, message: string): string {
  const status = STATUS_BY_CODE[code];
  if (status < 500 || status === 501) return message;
  return FAILURE_DETAILS[code] ?? FAILURE_DETAILS.INTERNAL_ERROR!;
}

/** Maps domain errors and body-parser failures to problems; anything else is a logged 500 with no internals. */
export const problemHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) {
    logOf(req)?.error({ err: error }, 'error after the response started');
    return;
  }
  if (error instanceof ValidationError) {
    sendProblem(res, 'VALIDATION_FAILED', error.message, { errors: error.issues });
    return;
  }
  if (error instanceof DomainError) {
    if (STATUS_BY_CODE[error.code] >= 500) logOf(req)?.error({ err: error }, error.message);
    // A git host's rate limit: say when it resets instead of holding the request until then (RFC 9110 §10.2.3).
    if (error instanceof StorageUnavailableError && error.retryAfterSeconds !== undefined)
      res.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    sendProblem(res, error.code, clientSafeDetail(error.code, error.message));
    return;
  }
  const failure = error as { type?: string; code?: unknown; limit?: number; maxDepth?: number; encoding?: string };
  switch (failure.type) {
    case 'entity.too.large':
      sendProblem(res, 'PAYLOAD_TOO_LARGE', `the request body exceeds the limit of ${failure.limit} bytes`);
      return;
    case 'entity.too.deep':
      sendProblem(res, 'JSON_TOO_DEEP', `the request body nests objects and arrays deeper than ${failure.maxDepth} levels`);
      return;
    case 'entity.parse.failed':
      sendProblem(res, 'INVALID_JSON', 'the request body is not valid JSON');
      return;
    case 'request.size.invalid':
    case 'request.aborted':
      sendProblem(res, 'INVALID_JSON', 'the request body did not arrive whole (its length differs from Content-Length)');
      return;
    case 'encoding.unsupported':
      sendProblem(
        res,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding '${String(failure.encoding).slice(0, 40)}' is not supported: use identity, gzip, deflate or br`,
      );
      return;
    case 'charset.unsupported':
      sendProblem(res, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be UTF-8 JSON');
      return;
  }
  // zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR, ...): the body is not what its Content-Encoding says.
  if (typeof failure.code === 'string' && /^Z_[A-Z_]+$/.test(failure.code)) {
    sendProblem(
      res,
      'INVALID_CONTENT_ENCODING',
      `the request body is not valid ${(req.get('content-encoding') ?? 'compressed').slice(0, 40)} data`,
    );
    return;
  }
  logOf(req)?.error({ err: error }, 'unhandled error');
  sendProblem(res, 'INTERNAL_ERROR', 'an unexpected error occurred; the request id identifies it in the logs');
};
