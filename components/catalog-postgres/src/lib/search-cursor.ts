import { ValidationError } from '@metastore/errors';

/** The sort key of the last row of a page: (owner, name), and the rank when the search was ranked by relevance. */
export interface SearchCursor {
  readonly owner: string;
  readonly name: string;
  readonly rank?: number;
}

/** Encodes a keyset position as an opaque base64url token. */
export function encodeCursor(cursor: SearchCursor): string {
  const payload = cursor.rank === undefined ? { o: cursor.owner, n: cursor.name } : { o: cursor.owner, n: cursor.name, r: cursor.rank };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function malformed(message: string): ValidationError {
  return new ValidationError(`invalid cursor: ${message}`, [{ pointer: '/cursor', message }]);
}

/** Decodes a token from {@link encodeCursor}; `ranked` says which kind of search it must come from. Throws VALIDATION_FAILED otherwise. */
export function decodeCursor(token: string, ranked: boolean): SearchCursor {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw malformed('not a cursor from a previous page');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw malformed('not a cursor from a previous page');
  }
  if (typeof payload !== 'object' || payload === null) throw malformed('not a cursor from a previous page');
  const { o, n, r } = payload as { o?: unknown; n?: unknown; r?: unknown };
  if (typeof o !== 'string' || typeof n !== 'string') throw malformed('not a cursor from a previous page');
  if (r !== undefined && (typeof r !== 'number' || !Number.isFinite(r))) throw malformed('not a cursor from a previous page');
  if (ranked !== (r !== undefined)) {
    throw malformed(ranked ? 'the cursor comes from a listing without q' : 'the cursor comes from a search with q');
  }
  return r === undefined ? { owner: o, name: n } : { owner: o, name: n, rank: r };
}
