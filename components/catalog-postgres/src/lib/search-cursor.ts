import { ValidationError } from '@metastore/errors';

/**
 * The sort key of the last row of a page. A listing (no `q`) goes in (owner, name) order. A text search goes by
 * relevance (`rank`, then owner and name) while it has few enough matches to rank them all; past that limit it goes in
 * (owner, name) order too (`byKey`), and its later pages stay in that order.
 */
export interface SearchCursor {
  readonly owner: string;
  readonly name: string;
  readonly rank?: number;
  /** A text search in (owner, name) order: it matched more rows than the store ranks. */
  readonly byKey?: true;
}

/** Encodes a keyset position as an opaque base64url token. */
export function encodeCursor(cursor: SearchCursor): string {
  const payload =
    cursor.rank !== undefined
      ? { o: cursor.owner, n: cursor.name, r: cursor.rank }
      : cursor.byKey
        ? { o: cursor.owner, n: cursor.name, k: 1 }
        : { o: cursor.owner, n: cursor.name };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function malformed(message: string): ValidationError {
  return new ValidationError(`invalid cursor: ${message}`, [{ pointer: '/cursor', message }]);
}

/**
 * Decodes a token from {@link encodeCursor}; `text` says whether it must come from a search with `q` (ranked or in
 * key order) or from one without. Throws VALIDATION_FAILED otherwise.
 */
export function decodeCursor(token: string, text: boolean): SearchCursor {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw malformed('not a cursor from a previous page');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw malformed('not a cursor from a previous page');
  }
  if (typeof payload !== 'object' || payload === null) throw malformed('not a cursor from a previous page');
  const { o, n, r, k } = payload as { o?: unknown; n?: unknown; r?: unknown; k?: unknown };
  if (typeof o !== 'string' || typeof n !== 'string') throw malformed('not a cursor from a previous page');
  if (r !== undefined && (typeof r !== 'number' || !Number.isFinite(r))) throw malformed('not a cursor from a previous page');
  if (k !== undefined && (k !== 1 || r !== undefined)) throw malformed('not a cursor from a previous page');
  if (text !== (r !== undefined || k !== undefined)) {
    throw malformed(text ? 'the cursor comes from a listing without q' : 'the cursor comes from a search with q');
  }
  if (r !== undefined) return { owner: o, name: n, rank: r };
  return k !== undefined ? { owner: o, name: n, byKey: true } : { owner: o, name: n };
}
