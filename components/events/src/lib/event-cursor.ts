import { ValidationError } from '@metastore/errors';

/** The largest outbox sequence there can be (PostgreSQL's `bigint`). */
const MAX_SEQUENCE = 9_223_372_036_854_775_807n;

/**
 * The sequence an event feed resumes after: `undefined` (from the start) when absent; a decimal integer from 0 to
 * the largest `bigint` otherwise. Anything else is VALIDATION_FAILED, the same in every Outbox.
 */
export function parseEventCursor(after: string | undefined): bigint | undefined {
  if (after === undefined) return undefined;
  const sequence = /^[0-9]{1,19}$/.test(after) ? BigInt(after) : undefined;
  if (sequence === undefined || sequence > MAX_SEQUENCE) {
    throw new ValidationError('invalid cursor: not an event sequence', [
      { pointer: '/after', message: 'must be an event sequence number' },
    ]);
  }
  return sequence;
}
