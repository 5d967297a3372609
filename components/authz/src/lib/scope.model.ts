import { ValidationError, type ValidationIssue } from '@metastore/errors';

/** What a caller may do to a dataset; `admin` implies every other action. */
export type Action = 'read' | 'write' | 'tag' | 'delete' | 'admin';

/** Every action, weakest first. */
export const ACTIONS: readonly Action[] = ['read', 'write', 'tag', 'delete', 'admin'];

/**
 * One grant carried by a token, `obj:{owner}/{name}:{action}`. `owner` and `name` are patterns: a literal,
 * `*` (any non-empty value) or `prefix*` (any value starting with prefix, prefix itself included);
 * `action` `*` grants every action, exactly like `admin`.
 */
export interface Scope {
  readonly owner: string;
  readonly name: string;
  readonly action: Action | '*';
}

/** A set of datasets named by an owner pattern and a name pattern (the same patterns as a scope's). */
export interface DatasetPattern {
  readonly owner: string;
  readonly name: string;
}

const SCOPE_PREFIX = 'obj:';
const SCOPE_SHAPE = /^obj:([^/:\s]*)\/([^/:\s]*):([^/:\s]*)$/;
// Literals use the dataset id alphabet (see @metastore/datasets); a trailing '*' makes a prefix.
const SEGMENT_PATTERN = /^(\*|[a-z0-9._-]+\*?)$/;
const MAX_SEGMENT = 100;
const SEGMENT_RULE = "may be '*', a literal of lowercase letters, digits, '.', '_' and '-', or such a literal ending in '*'";

function segmentIssue(label: string, segment: string): string | undefined {
  if (segment.length === 0) return `${label} is empty`;
  if (segment.length > MAX_SEGMENT) return `${label} must be at most ${MAX_SEGMENT} characters`;
  if (!SEGMENT_PATTERN.test(segment)) return `${label} '${segment}' ${SEGMENT_RULE}`;
  return undefined;
}

function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

function partsOf(text: string): { owner: string; name: string; action: string } | undefined {
  const match = SCOPE_SHAPE.exec(text);
  return match ? { owner: match[1]!, name: match[2]!, action: match[3]! } : undefined;
}

function scopeIssues(text: unknown, pointer: string): ValidationIssue[] {
  if (typeof text !== 'string') return [{ pointer, message: 'a scope must be a string' }];
  const parts = partsOf(text);
  if (!parts) return [{ pointer, message: `'${text}' is not a scope: expected obj:{owner}/{name}:{action}` }];
  const { owner, name, action } = parts;
  const problems = [segmentIssue('owner', owner), segmentIssue('name', name)];
  if (!isAction(action) && action !== '*') problems.push(`action '${action}' must be one of ${ACTIONS.join(', ')} or *`);
  return problems.filter((problem) => problem !== undefined).map((problem) => ({ pointer, message: `scope '${text}': ${problem}` }));
}

/** Parses one `obj:{owner}/{name}:{action}` scope; a ValidationError names the bad scope and what is wrong with it. */
export function parseScope(text: unknown, pointer = ''): Scope {
  const issues = scopeIssues(text, pointer);
  if (issues.length > 0) throw new ValidationError(`invalid scope ${JSON.stringify(text)}`, issues);
  const { owner, name, action } = partsOf(text as string)!;
  return { owner, name, action: action as Action | '*' };
}

/** Parses a list of scopes, reporting every bad one at once (pointers `${pointer}/0`, `${pointer}/1`, ...). */
export function parseScopes(texts: readonly unknown[], pointer = ''): Scope[] {
  const issues = texts.flatMap((text, index) => scopeIssues(text, `${pointer}/${index}`));
  if (issues.length > 0) {
    const bad = texts.filter((text, index) => issues.some((issue) => issue.pointer === `${pointer}/${index}`));
    throw new ValidationError(`invalid scopes: ${bad.map((text) => JSON.stringify(text)).join(', ')}`, issues);
  }
  return texts.map((text) => parseScope(text));
}

/** Whether a token string is meant for this service (`obj:` prefix); OAuth scope claims also carry other services' scopes. */
export function isObjectScope(text: string): boolean {
  return text.startsWith(SCOPE_PREFIX);
}

/** The scope's string form, `obj:{owner}/{name}:{action}`. */
export function formatScope(scope: Scope): string {
  return `${SCOPE_PREFIX}${scope.owner}/${scope.name}:${scope.action}`;
}

/**
 * Whether `pattern` matches every value `target` (a literal or a pattern) stands for; nothing matches the empty string, `prefix*` matches
 * `prefix`.
 */
export function segmentCovers(pattern: string, target: string): boolean {
  if (target.length === 0) return false;
  if (pattern === '*') return true;
  if (target === '*') return false;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (target.endsWith('*') ? target.slice(0, -1) : target).startsWith(prefix);
  }
  return !target.endsWith('*') && pattern === target;
}

/** Whether every dataset of `target` is in `pattern`. */
export function patternCovers(pattern: DatasetPattern, target: DatasetPattern): boolean {
  return segmentCovers(pattern.owner, target.owner) && segmentCovers(pattern.name, target.name);
}

/** The actions a scope's action grants: `admin` and `*` grant all of them. */
export function actionsGranted(action: Action | '*'): readonly Action[] {
  return action === '*' || action === 'admin' ? ACTIONS : [action];
}
