import type { RequestHandler } from 'express';
import { sendProblem } from './problem';

/** Rejects a request whose body is not one of `types` with 415 (before any work is done). */
export function requireContentType(...types: string[]): RequestHandler {
  return (req, res, next) => {
    if (req.is(types)) {
      next();
      return;
    }
    const given = req.get('content-type') ?? 'none';
    sendProblem(res, 'UNSUPPORTED_MEDIA_TYPE', `the request body must be ${types.join(' or ')}, not ${given}`);
  };
}
