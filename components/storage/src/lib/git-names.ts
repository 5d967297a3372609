import isGitRefNameValid from 'is-git-ref-name-valid';
import { ValidationError, type ValidationIssue } from '@metastore/errors';
import type { Author } from './storage.model';

/**
 * Characters a git identity (`Name <email>` in a commit or tag header) must not contain: `<` and `>` delimit the
 * email, a control character (a line break above all) would start a header of its own, Unicode line and paragraph
 * separators end a line for JavaScript's parsers, and bidi controls would display the name reordered.
 */
export const IDENTITY_FORBIDDEN = /[<>\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

const IDENTITY_EMAIL = /^[^\s<>@\p{Cc}\u202A-\u202E\u2066-\u2069]+@[^\s<>@\p{Cc}\u202A-\u202E\u2066-\u2069]+$/u;

/** Whether `text` is an email address a git identity can carry: `local@domain` without whitespace, `<`, `>` or control characters. */
export function isIdentityEmail(text: string): boolean {
  return IDENTITY_EMAIL.test(text);
}

/** Every problem of `author` as a git identity (name and email), each located under `pointer`. */
export function authorIssues(author: unknown, pointer = '/author'): ValidationIssue[] {
  if (typeof author !== 'object' || author === null || Array.isArray(author)) {
    return [{ pointer, message: 'must be an object with a name and an email' }];
  }
  const { name, email } = author as { name?: unknown; email?: unknown };
  const issues: ValidationIssue[] = [];
  if (typeof name !== 'string' || name.trim().length === 0) {
    issues.push({ pointer: `${pointer}/name`, message: 'must be a non-empty string' });
  } else if (IDENTITY_FORBIDDEN.test(name)) {
    issues.push({
      pointer: `${pointer}/name`,
      message: "must not contain '<', '>', control characters (such as a line break) or bidi controls",
    });
  }
  if (typeof email !== 'string' || !isIdentityEmail(email)) {
    issues.push({ pointer: `${pointer}/email`, message: "must be an email address without whitespace, '<', '>' or control characters" });
  }
  return issues;
}

/** `author` checked as a git identity that cannot corrupt or spoof a commit or tag header; else a ValidationError naming every problem. */
export function validateAuthor(author: unknown, pointer = '/author'): Author {
  const issues = authorIssues(author, pointer);
  if (issues.length > 0) throw new ValidationError('invalid author', issues);
  return author as Author;
}

/** The longest ref name callers may give, in UTF-8 bytes: a ref is a file, and file names stop at 255 bytes. */
export const MAX_REF_BYTES = 255;

const UTF8 = new TextEncoder();

/**
 * Characters git accepts in ref names but that would hide or spoof one: control characters, Unicode format
 * characters (bidi overrides, zero-width joiners and spaces) and whitespace that looks like a space or none.
 */
const REF_SPOOFING = /[\p{Cc}\p{Cf}\p{Z}]/u;

/**
 * Whether git itself accepts `name` as a tag or branch name (`refs/tags/<name>`, git check-ref-format): the lenient
 * rule for names that may already exist, pushed with plain git; `refIssues` is the stricter one for names callers give.
 */
export function isGitRefName(name: string): boolean {
  return isGitRefNameValid(`refs/tags/${name}`);
}

/** The rule `refIssues` checks, as one message. */
export const REF_RULE =
  "must be a valid git ref name: no whitespace, control or Unicode format characters, '..', '~', '^', ':', '?', '*', '[', '\\', '@{', leading '.' or '/', or trailing '.', '/' or '.lock'";

/**
 * Every problem of a ref as callers name one (a full or abbreviated sha, a tag or a branch name), located at
 * `pointer`: a non-empty string of at most MAX_REF_BYTES bytes that git accepts as a ref name and that holds
 * no spoofing characters (`maxBytes` may bound it tighter).
 */
export function refIssues(ref: unknown, pointer = '/ref', label = 'ref', maxBytes = MAX_REF_BYTES): ValidationIssue[] {
  if (typeof ref !== 'string' || ref.length === 0) return [{ pointer, message: `${label} is required` }];
  const issues: ValidationIssue[] = [];
  if (UTF8.encode(ref).length > maxBytes) issues.push({ pointer, message: `${label} must be at most ${maxBytes} bytes (UTF-8)` });
  if (REF_SPOOFING.test(ref) || !isGitRefName(ref)) issues.push({ pointer, message: `${label} ${REF_RULE}` });
  return issues;
}

/** Whether `ref` passes `refIssues`. */
export function isValidRef(ref: unknown): ref is string {
  return refIssues(ref).length === 0;
}

/** `ref` checked by `refIssues`; else a ValidationError naming every problem. */
export function validateRef(ref: unknown, pointer = '/ref', label = 'ref'): string {
  const issues = refIssues(ref, pointer, label);
  if (issues.length > 0) throw new ValidationError(`invalid ${label}`, issues);
  return ref as string;
}

/**
 * A full commit sha, as a JSON Schema `pattern`: 40 hex digits (SHA-1) or 64 (SHA-256, git's newer object format),
 * lowercase. Adapters whose repositories are SHA-1 answer a 64-digit one as not found, never as a ref name.
 */
export const FULL_SHA_PATTERN = '^(?:[0-9a-f]{40}|[0-9a-f]{64})$';

const FULL_SHA = new RegExp(FULL_SHA_PATTERN);

/** Whether `value` is a full commit sha (FULL_SHA_PATTERN). */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/**
 * The tags above tag `name` (`x` and `x/y` for `x/y/z`): git stores `refs/tags/x` as a file, so no tag can be both `x`
 * and a directory above `x/y` (git's "directory/file conflict"), and tags below `name` are those under `<name>/`.
 */
function tagsAbove(name: string): string[] {
  const segments = name.split('/');
  return segments.slice(1).map((_, index) => segments.slice(0, index + 1).join('/'));
}

/** The existing tag that keeps tag `name` from being created (one above or below it, see tagsAbove), or undefined. */
export function conflictingTagName(name: string, existing: Iterable<string>): string | undefined {
  const above = new Set(tagsAbove(name));
  for (const other of existing) {
    if (above.has(other) || other.startsWith(`${name}/`)) return other;
  }
  return undefined;
}

/** How {@link findConflictingTagName} looks tags up in a store that reads one ref cheaply. */
export interface TagLookup {
  /** Whether tag `name` exists. */
  exists(name: string): Promise<boolean>;
  /** The full name of some tag whose name starts with `prefix` (which ends in `/`), or undefined. */
  firstUnder(prefix: string): Promise<string | undefined>;
}

/**
 * {@link conflictingTagName}'s rule over targeted lookups instead of every tag: one `exists` per tag above `name`,
 * then one `firstUnder` for the tags below it.
 */
export async function findConflictingTagName(name: string, lookup: TagLookup): Promise<string | undefined> {
  for (const above of tagsAbove(name)) if (await lookup.exists(above)) return above;
  return lookup.firstUnder(`${name}/`);
}
