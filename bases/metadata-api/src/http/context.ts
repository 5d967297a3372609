import { ValidationError } from '@metastore/errors';
import { authorIssues, validateAuthor, type Author } from '@metastore/storage';

/** Parses `Name <email>` (the git form used in query parameters); undefined when the text is not of that form. */
export function parseAuthorText(text: string): Author | undefined {
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return match ? { name: match[1]!, email: match[2]! } : undefined;
}

/**
 * The author a request names, checked by the storage's one identity grammar (`validateAuthor`): `Name <email>` text
 * from a query parameter (problems at `/author`) or an object from a JSON body (at `/author/name`, `/author/email`).
 * Throws VALIDATION_FAILED for anything that could corrupt or spoof a git header.
 */
export function requestedAuthor(requested: Author | string | undefined): Author | undefined {
  if (requested === undefined) return undefined;
  if (typeof requested !== 'string') return validateAuthor(requested);
  const parsed = parseAuthorText(requested);
  if (parsed === undefined) throw new ValidationError('invalid author', [{ pointer: '/author', message: 'must be "Name <email>"' }]);
  const issues = authorIssues(parsed).map((issue) => ({
    pointer: '/author',
    message: `${issue.pointer.slice('/author/'.length)} ${issue.message}`,
  }));
  if (issues.length > 0) throw new ValidationError('invalid author', issues);
  return parsed;
}
