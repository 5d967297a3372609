import type { Dependencies } from '../dependencies';
import { defineOperation, type Operation } from '../http/operation';
import { json, ref } from '../openapi/parts';
import { metricsOf } from '../http/metrics';
import { sendProblem } from '../http/problem';
import { logOf } from '../http/request-log';

/** The state of one thing the API depends on. */
export type CheckStatus = 'up' | 'degraded' | 'down';

/** What `/readyz` reports of each dependency. */
export interface ReadinessChecks {
  readonly storage: { readonly status: CheckStatus; readonly backend: string };
  /** `degraded`: it answers, but changes journaled while it did not still wait (`pendingChanges`). */
  readonly catalog: { readonly status: CheckStatus; readonly pendingChanges?: number };
  readonly events: {
    readonly status: CheckStatus;
    readonly stream: 'redis' | 'none';
    readonly pendingEvents?: number;
    readonly failingSince?: string;
  };
  readonly revocations: { readonly status: CheckStatus; readonly staleSeconds: number; readonly loadedAt?: string };
}

/** Longest a readiness probe waits for one dependency to answer. */
const CHECK_TIMEOUT_MS = 2_000;

/** Resolves true when `check` does within the timeout; false when it fails or takes longer. */
async function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** What each dependency's state is now (bounded: a dependency that hangs counts as down). */
async function readinessChecks({ storage, catalog, outbox, relay, revocations, journal }: Dependencies): Promise<ReadinessChecks> {
  let pendingEvents: number | undefined;
  let pendingChanges: number | undefined;
  const [storageUp, catalogUp] = await Promise.all([
    answers(() => storage.checkReady()),
    answers(() => catalog.checkReady()),
    answers(async () => {
      pendingEvents = await outbox.pendingCount();
    }),
    answers(async () => {
      ({ pending: pendingChanges } = await journal.status());
    }),
  ]);
  const failingSince = relay?.status().failingSince;
  const list = revocations.health();
  return {
    storage: { status: storageUp ? 'up' : 'down', backend: storage.backend },
    catalog: {
      status: !catalogUp ? 'down' : pendingChanges ? 'degraded' : 'up',
      ...(pendingChanges !== undefined ? { pendingChanges } : {}),
    },
    events: {
      status: failingSince ? 'degraded' : 'up',
      stream: relay ? 'redis' : 'none',
      ...(pendingEvents !== undefined ? { pendingEvents } : {}),
      ...(failingSince ? { failingSince: failingSince.toISOString() } : {}),
    },
    revocations: {
      status: list.state === 'fresh' ? 'up' : list.state === 'stale' ? 'degraded' : 'down',
      staleSeconds: Math.round(list.staleSeconds),
      ...(list.loadedAt ? { loadedAt: list.loadedAt.toISOString() } : {}),
    },
  };
}

/** Liveness: the process answers. */
export const health = defineOperation({
  operationId: 'health',
  method: 'get',
  path: '/healthz',
  mount: 'root',
  tags: ['health'],
  summary: 'Liveness: the process answers',
  responses: {
    200: { description: 'Alive.', content: json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }) },
  },
  policy: { operation: 'health' },
  handler: ({ res }) => {
    res.json({ status: 'ok' });
  },
});

/**
 * Readiness: each dependency's state. It answers 503 only when storage is down, since git is the truth and nothing
 * works without it. A catalog database that is down, an event stream that fails, or a revocation list served stale (or
 * past its bound) make it `degraded` with 200: reads and writes still go to git, and every replica shares these
 * dependencies, so taking this one out of rotation would help nobody.
 */
export const readiness = defineOperation({
  operationId: 'readiness',
  method: 'get',
  path: '/readyz',
  mount: 'root',
  tags: ['health'],
  summary: 'Readiness, and what is degraded',
  description:
    'Checks storage, the catalog database, the event stream (and the outbox backlog) and the revocation list, each bounded to 2 s. ' +
    '503 only when storage is down: git is the truth and nothing works without it. A catalog database that is down (listings and ' +
    'search fail, reads and writes go on), a failing event stream (events wait in the outbox) or a revocation list that cannot be ' +
    'read (served stale for METASTORE_REVOCATION_STALE_SECONDS, then tokens with an id get 503) answer 200 with `status: degraded`.',
  responses: {
    200: {
      description: 'Ready (`status: ready`) or degraded (`status: degraded`, `degraded` names the checks that are not up).',
      content: json({
        type: 'object',
        required: ['status', 'checks'],
        properties: {
          status: { enum: ['ready', 'degraded'] },
          degraded: { type: 'array', items: { enum: ['catalog', 'events', 'revocations'] } },
          checks: ref('ReadinessChecks'),
        },
      }),
    },
    503: {
      description: 'Storage is down (STORAGE_UNAVAILABLE); `checks` says what else is.',
      content: {
        'application/problem+json': {
          schema: { allOf: [ref('Problem'), { type: 'object', required: ['checks'], properties: { checks: ref('ReadinessChecks') } }] },
        },
      },
    },
  },
  policy: { operation: 'readiness' },
  handler: async ({ req, res, dependencies }) => {
    const checks = await readinessChecks(dependencies);
    const degraded = Object.entries(checks)
      .filter(([, check]) => check.status !== 'up')
      .map(([name]) => name);
    if (checks.storage.status === 'down') {
      logOf(req)?.warn({ checks }, 'not ready');
      sendProblem(res, 'STORAGE_UNAVAILABLE', `storage backend '${checks.storage.backend}' is not ready`, { extensions: { checks } });
      return;
    }
    if (degraded.length > 0) logOf(req)?.warn({ degraded }, 'ready, degraded');
    res.json({ status: degraded.length > 0 ? 'degraded' : 'ready', ...(degraded.length > 0 ? { degraded } : {}), checks });
  },
});

/** Prometheus metrics of this process (text exposition format); served beside the API, not an operation of its document. */
export const metrics = defineOperation({
  operationId: 'metrics',
  method: 'get',
  path: '/metrics',
  mount: 'root',
  documented: false,
  summary: 'Prometheus metrics',
  policy: { operation: 'metrics' },
  handler: async ({ res, dependencies }) => {
    const { registry } = metricsOf(dependencies);
    res.type(registry.contentType).send(await registry.metrics());
  },
});

/** The probes (liveness and readiness) and the metrics, outside /api/v1. */
export const HEALTH_OPERATIONS: readonly Operation[] = [health, readiness, metrics];
