import type { RequestHandler, Response } from 'express';
import type { Author } from '@metastore/storage';

/** Who is making the request. Authentication will fill this from the token; until then, configuration does. */
export interface RequestContext {
  readonly actor: Author;
}

/** Sets `res.locals.context` for every request. */
export function requestContext(defaultAuthor: Author): RequestHandler {
  return (_req, res, next) => {
    res.locals['context'] = { actor: defaultAuthor } satisfies RequestContext;
    next();
  };
}

/** The request's context. */
export function contextOf(res: Response): RequestContext {
  return res.locals['context'] as RequestContext;
}

/** Parses `Name <email>` (the git form used in query parameters). */
export function parseAuthorText(text: string): Author | undefined {
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return match ? { name: match[1]!, email: match[2]! } : undefined;
}

/** The author of a write: the one the request names, else the actor. */
export function authorOf(res: Response, requested: Author | string | undefined): Author {
  if (typeof requested === 'string') return parseAuthorText(requested) ?? contextOf(res).actor;
  return requested ?? contextOf(res).actor;
}
