import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { authorize } from '@metastore/authz';
import { parseDatasetId } from '@metastore/datasets';
import type { DatasetId } from '@metastore/storage';
import type { Dependencies } from '../dependencies';
import { cacheControlFor, readDataset } from '../routes/datasets.router';
import { accessContext, rememberedCaller } from './auth';
import { ifNoneMatchNames, revisionEtag } from './conditional';
import { metricsOf } from './metrics';
import { queryDecodes } from './request-guards';
import { beginRequestLog } from './request-log';
import { SECURITY_HEADERS } from './security-headers';
import { isValidQuery } from './validation';

/** Where the API is mounted (operation.ts mounts `mount: 'api'` declarations there). */
const API_PREFIX = '/api/v1';

/** The headers every answer carries (security-headers.ts), as the flat list `writeHead` takes. */
const SECURITY_FLAT: readonly string[] = SECURITY_HEADERS.flat();

/**
 * Reads of a dataset's descriptor served from memory, before Express: `GET /api/v1/datasets/:owner/:name[?ref=...]`
 * answered when everything it needs is known without waiting, and otherwise left to the app (`false`), which answers
 * every request it does not take, as it would anyway. It takes a request only when
 * - its URL is exactly that path, with at most a `ref` query valid as `readDataset` declares it (validly percent-encoded,
 *   no fragment), and a valid dataset id;
 * - no CORS origin is configured (the cors middleware's headers are the app's business);
 * - the caller is anonymous or bears a token the verifier remembers, unexpired, not named by a fresh revocation list
 *   (`rememberedCaller`): a revoked, expired or unknown token goes to the app, which refuses or verifies it;
 * - the policy allows `readDataset` on the dataset (a refusal is the app's to word);
 * - the descriptor at the ref is known (`DatasetService.peek`: the storage knows the ref from memory and one stat, so
 *   a moved head is never served stale; the descriptor was parsed before).
 * What it sends is what the app sends for that request: the same headers and bytes, the same log line and metrics
 * (`fast-reads.spec.ts` compares them). It saves what Express costs per request (routing, its request and response
 * decorations, a promise per layer): `npm run bench -- --only=read`.
 */
export function fastReads(dependencies: Dependencies): (req: IncomingMessage, res: ServerResponse) => boolean {
  if (dependencies.config.auth.corsOrigins.length > 0) return () => false;
  const { verifier, revocations, datasets, access } = dependencies;
  const prefix = `${API_PREFIX}/datasets/`;
  const route = `${API_PREFIX}${readDataset.path}`;
  const validQuery = isValidQuery(readDataset.query ?? {});
  const operation = readDataset.policy.operation;
  const beginLog = beginRequestLog(dependencies.logger);
  const { track } = metricsOf(dependencies);
  // The bytes of a stored descriptor, kept with its parsed form (one per revision in the service's cache).
  const bodies = new WeakMap<object, Buffer>();

  /** The dataset and ref the URL names, or undefined when the URL is not plainly a read of one. */
  const target = (url: string): { id: DatasetId; ref: string | undefined } | undefined => {
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const slash = path.indexOf('/', prefix.length);
    if (slash === -1 || path.indexOf('/', slash + 1) !== -1) return undefined;
    let id: DatasetId;
    try {
      id = parseDatasetId(decodeURIComponent(path.slice(prefix.length, slash)), decodeURIComponent(path.slice(slash + 1)));
    } catch {
      return undefined;
    }
    if (queryAt === -1) return { id, ref: undefined };
    // What the app refuses (malformed percent-encoding: 400) or reads otherwise (a fragment, which it drops) is its to answer.
    const queryText = url.slice(queryAt + 1);
    if (queryText.includes('#') || !queryDecodes(queryText)) return undefined;
    const query: Record<string, unknown> = { ...parseQuery(queryText) };
    const names = Object.keys(query);
    if (names.some((name) => name !== 'ref') || !validQuery(query)) return undefined;
    return { id, ref: query['ref'] as string | undefined };
  };

  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(prefix)) return false;
    const read = target(url);
    if (read === undefined) return false;
    const caller = rememberedCaller(req.headers.authorization, verifier, revocations);
    if (caller === undefined) return false;
    const { owner, name } = read.id;
    if (!authorize(caller.principal, operation, { owner, name }, accessContext(access, owner)).allowed) return false;
    const snapshot = datasets.peek(read.id, read.ref);
    if (snapshot === undefined) return false;

    // Taken: from here on, as the app answers it (its middleware's order: metrics, log, security headers).
    track(req, res, () => route);
    const sha = snapshot.revision;
    const headers = [
      'X-Request-Id',
      beginLog(req, res),
      ...SECURITY_FLAT,
      'ETag',
      revisionEtag(sha),
      'Cache-Control',
      cacheControlFor(read.ref, sha),
    ];
    if (ifNoneMatchNames(req.headers['if-none-match'], sha)) {
      res.writeHead(304, headers).end();
      return true;
    }
    let body = bodies.get(snapshot.descriptor as object);
    if (body === undefined) bodies.set(snapshot.descriptor as object, (body = Buffer.from(snapshot.source, 'utf8')));
    headers.push('Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(body.length));
    res.writeHead(200, headers).end(body);
    return true;
  };
}
