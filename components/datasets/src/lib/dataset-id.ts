import { ValidationError, type ValidationIssue } from '@metastore/errors';
import type { DatasetId } from '@metastore/storage';

const SEGMENT = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
const OWNER_MAX = 39;
const NAME_MAX = 100;

function segmentIssues(pointer: string, label: string, value: unknown, max: number): ValidationIssue[] {
  if (typeof value !== 'string' || value.length === 0) return [{ pointer, message: `${label} is required` }];
  const issues: ValidationIssue[] = [];
  if (value.length > max) issues.push({ pointer, message: `${label} must be at most ${max} characters` });
  if (!SEGMENT.test(value)) {
    issues.push({
      pointer,
      message: `${label} may contain only lowercase letters, digits, '-', '_' and '.', and must start and end with a letter or digit`,
    });
  }
  if (value.includes('..')) issues.push({ pointer, message: `${label} must not contain '..'` });
  if (value.endsWith('.git')) issues.push({ pointer, message: `${label} must not end with '.git'` });
  return issues;
}

/** Validates an `owner/name` pair and returns it as a DatasetId; every problem is reported at once. */
export function parseDatasetId(owner: unknown, name: unknown): DatasetId {
  const issues = [...segmentIssues('/owner', 'owner', owner, OWNER_MAX), ...segmentIssues('/name', 'name', name, NAME_MAX)];
  if (issues.length > 0) throw new ValidationError('invalid dataset identifier', issues);
  return { owner: owner as string, name: name as string };
}

/** Validates an owner namespace on its own (for listings). */
export function parseOwner(owner: unknown): string {
  const issues = segmentIssues('/owner', 'owner', owner, OWNER_MAX);
  if (issues.length > 0) throw new ValidationError('invalid owner', issues);
  return owner as string;
}

/** Whether `owner` is a valid owner namespace (the rules of `parseOwner`, without the error). */
export function isOwner(owner: unknown): boolean {
  return segmentIssues('/owner', 'owner', owner, OWNER_MAX).length === 0;
}
