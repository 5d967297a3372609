import express, { type RequestHandler } from 'express';
import { MAX_DESCRIPTOR_DEPTH } from '@metastore/datasets';
import { escapePointerToken, ValidationError, type ValidationIssue } from '@metastore/errors';
import { sendProblem } from './problem';

/** The deepest nesting of objects and arrays a request body may have: a descriptor's limit, plus the create request that wraps it. */
export const MAX_BODY_DEPTH = MAX_DESCRIPTOR_DEPTH + 1;

/** At most this many U+0000 pointers are listed in one answer. */
const MAX_NUL_ISSUES = 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether a JSON text nests objects and arrays deeper than `maxDepth`, found by counting brackets outside strings in
 * the raw UTF-8 bytes (`"` and `\` never occur inside a multi-byte sequence), so that JSON.parse never builds the deep
 * value and nothing recursive ever walks it. An indexed loop: about 3 ms per MB, less than JSON.parse takes.
 */
export function nestsDeeperThan(body: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  for (let index = 0; index < body.length; index += 1) {
    const byte = body[index];
    if (byte === QUOTE) {
      // Skip the string: an escape consumes the next byte, so `\"` does not end it.
      for (index += 1; index < body.length && body[index] !== QUOTE; index += 1) if (body[index] === BACKSLASH) index += 1;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth -= 1;
    }
  }
  return false;
}

/** The error body-parser's `verify` hook throws for a body nested too deep; the problem handler answers it with 400 JSON_TOO_DEEP. */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;

  constructor(readonly maxDepth: number) {
    super(`the request body nests objects and arrays deeper than ${maxDepth} levels`);
  }
}

/** The bytes of each JSON request body as received, kept by the verify hook below until the request is collected. */
const receivedBodies = new WeakMap<object, Buffer>();

/**
 * The text of a JSON request body as the client sent it (JSON.parse keeps only values: a handler that must keep how
 * numbers were written, `1.0`, reads them from here), or undefined when no JSON body was parsed.
 */
export function receivedBodyText(req: object): string | undefined {
  return receivedBodies.get(req)?.toString('utf8');
}

/** body-parser's `verify` option: refuses a body nested deeper than `maxDepth` before it is parsed, and keeps its bytes. */
export function verifyJsonDepth(maxDepth: number): (req: unknown, res: unknown, body: Buffer) => void {
  return (req, _res, body) => {
    if (nestsDeeperThan(body, maxDepth)) throw new JsonTooDeepError(maxDepth);
    if (typeof req === 'object' && req !== null) receivedBodies.set(req, body);
  };
}

/** Whether every `&`-separated part of a query (`+` read as a space) is valid percent-encoded UTF-8 (`rejectMalformedUrl`). */
export function queryDecodes(query: string): boolean {
  return query.length === 0 || query.split('&').every((part) => decodes(part.replace(/\+/g, ' ')));
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses, before authentication and routing, a URL that cannot be decoded (malformed percent-encoding, such as `%zz`
 * or `%ff`, in the path or the query) or whose path holds an encoded NUL: 400 INVALID_URL. A query parameter whose
 * value holds U+0000 is 400 VALIDATION_FAILED at `/<name>` (no database or git header can carry it).
 */
export const rejectMalformedUrl: RequestHandler = (req, res, next) => {
  const url = req.url;
  const split = url.indexOf('?');
  const path = split === -1 ? url : url.slice(0, split);
  const query = split === -1 ? '' : url.slice(split + 1);
  const parameters = query.length === 0 ? [] : query.split('&').map((part) => part.replace(/\+/g, ' '));
  if (!decodes(path) || !queryDecodes(query)) {
    sendProblem(res, 'INVALID_URL', 'the request URL is not validly percent-encoded UTF-8');
    return;
  }
  if (decodeURIComponent(path).includes('\u0000')) {
    sendProblem(res, 'INVALID_URL', 'the request path must not contain U+0000');
    return;
  }
  const issues: ValidationIssue[] = [];
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    const name = decodeURIComponent(equals === -1 ? parameter : parameter.slice(0, equals));
    const value = equals === -1 ? '' : decodeURIComponent(parameter.slice(equals + 1));
    if (`${name}${value}`.includes('\u0000')) issues.push({ pointer: `/${escapePointerToken(name)}`, message: 'must not contain U+0000' });
  }
  if (issues.length > 0) {
    next(new ValidationError('invalid query parameters', issues));
    return;
  }
  next();
};

/** Pointers of every string (member name or value) holding U+0000 in a parsed JSON value, walked without recursion. */
export function nulPointers(value: unknown, limit = MAX_NUL_ISSUES): string[] {
  const found: string[] = [];
  const pending: { value: unknown; pointer: string }[] = [{ value, pointer: '' }];
  while (pending.length > 0 && found.length < limit) {
    const { value: current, pointer } = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) found.push(pointer);
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, pointer: `${pointer}/${index}` }));
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        const at = `${pointer}/${escapePointerToken(key)}`;
        if (key.includes('\u0000')) found.push(at);
        pending.push({ value: item, pointer: at });
      }
    }
  }
  return found.sort();
}

/**
 * Refuses a JSON body with U+0000 in any string or member name: 400 VALIDATION_FAILED, one pointer each (PostgreSQL's jsonb, and so the
 * catalog and the events, cannot hold it).
 */
export const rejectNulInBody: RequestHandler = (req, _res, next) => {
  const pointers = req.body === undefined ? [] : nulPointers(req.body);
  if (pointers.length > 0) {
    next(
      new ValidationError(
        'the request body contains U+0000',
        pointers.map((pointer) => ({ pointer, message: 'must not contain U+0000' })),
      ),
    );
    return;
  }
  next();
};

/**
 * Parses an operation's JSON body (its media types; any other was refused with 415 before): at most `limitBytes` (413
 * PAYLOAD_TOO_LARGE), nested at most MAX_BODY_DEPTH levels, counted on the raw bytes before JSON.parse so that no deep
 * value is ever built (400 JSON_TOO_DEEP), and no U+0000 in any string or member name (400 VALIDATION_FAILED).
 */
export function parseJsonBody(limitBytes: number, mediaTypes: readonly string[]): RequestHandler[] {
  return [
    express.json({ limit: limitBytes, type: [...mediaTypes], strict: true, verify: verifyJsonDepth(MAX_BODY_DEPTH) }),
    rejectNulInBody,
  ];
}
