import { Counter, Gauge } from 'prom-client';
import { formatDatasetId } from '@metastore/datasets';
import { webhookDatasetOf } from '@metastore/runtime';
import type { Response } from 'express';
import type { Dependencies } from '../dependencies';
import {
  bodyDigest,
  gitHubDeliveryRequest,
  gitLabDeliveryRequest,
  verifyGitHubSignature,
  verifyGitLabToken,
} from '../hooks/webhook-deliveries';
import type { DeliveryRequest } from '../hooks/webhook-deliveries';
import { metricsOf } from '../http/metrics';
import { defineOperation, perApp, type Operation } from '../http/operation';
import { sendProblem } from '../http/problem';
import { MAX_BODY_DEPTH, nestsDeeperThan } from '../http/request-guards';
import { json, problem } from '../openapi/parts';

/**
 * How long a delivery id (and a body's digest) is kept: a delivery seen again within it is a replay. GitHub redelivers
 * deliveries up to 3 days old (same id); a week covers that with room.
 */
export const DELIVERY_RETENTION_MS = 7 * 24 * 3_600_000;

/** A delivery id as the hosts send them (GUIDs, UUIDs): anything else is refused before any storage. */
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Host = 'github' | 'gitlab';
type DeliveryOutcome = 'unverified' | 'invalid' | 'ping' | 'ignored' | 'duplicate' | 'accepted';

/** The webhooks' Prometheus metrics, in the app's registry: deliveries by host and outcome, background syncs by outcome, the queue. */
const webhookMetrics = perApp((dependencies: Dependencies) => {
  const { registry } = metricsOf(dependencies);
  const queue = dependencies.webhookSync;
  new Counter({
    name: 'metastore_webhook_syncs_total',
    help: 'Dataset syncs scheduled by webhooks, by outcome: synced, failed (logged; the scheduled sync catches up) or dropped (queue full).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [outcome, count] of Object.entries(queue.outcomes)) this.inc({ outcome }, count);
    },
  });
  new Gauge({
    name: 'metastore_webhook_sync_queue_length',
    help: 'Datasets waiting for a webhook-scheduled sync in this process.',
    registers: [registry],
    collect() {
      this.set(queue.length);
    },
  });
  return new Counter({
    name: 'metastore_webhook_deliveries_total',
    help: 'Webhook deliveries received, by host and outcome (unverified, invalid, ping, ignored, duplicate, accepted).',
    labelNames: ['host', 'outcome'],
    registers: [registry],
  });
});

const answerSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { enum: ['pong', 'accepted', 'duplicate', 'ignored'] },
    datasets: { type: 'array', items: { type: 'string' }, description: 'The datasets whose sync was scheduled (`owner/name`).' },
    reason: { type: 'string', description: 'Why the delivery was ignored.' },
  },
} as const;

/** Counts and sends an answer. */
function answer(res: Response, dependencies: Dependencies, host: Host, outcome: DeliveryOutcome, status: number, body: object): void {
  webhookMetrics(dependencies).inc({ host, outcome });
  res.status(status).json(body);
}

/** The one answer to every delivery that cannot be verified: nothing in it says why (which would help a forger). */
function refuse(res: Response, dependencies: Dependencies, host: Host): void {
  webhookMetrics(dependencies).inc({ host, outcome: 'unverified' });
  sendProblem(res, 'WEBHOOK_UNVERIFIED', 'the delivery could not be verified');
}

/** A verified body as JSON: undefined when it is not a JSON object (or nests deeper than any request body may). */
function payloadOf(body: Buffer): Record<string, unknown> | undefined {
  if (nestsDeeperThan(body, MAX_BODY_DEPTH)) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * After verification: the delivery id is checked, the request read, the delivery recorded (once by id and once by the
 * body's digest: headers are not signed, so a replay may carry a new id), and the named datasets' syncs scheduled. The
 * answer never waits for a sync.
 */
async function receive(
  res: Response,
  dependencies: Dependencies,
  host: Host,
  deliveryId: string | undefined,
  body: Buffer,
  requestOf: (payload: Record<string, unknown>) => DeliveryRequest,
): Promise<void> {
  const payload = payloadOf(body);
  if (deliveryId === undefined || !DELIVERY_ID.test(deliveryId) || payload === undefined) {
    webhookMetrics(dependencies).inc({ host, outcome: 'invalid' });
    sendProblem(
      res,
      'VALIDATION_FAILED',
      payload === undefined ? 'the delivery body is not a JSON object' : 'the delivery carries no valid delivery id header',
    );
    return;
  }
  const request = requestOf(payload);
  if (request.kind === 'ping') return answer(res, dependencies, host, 'ping', 200, { status: 'pong' });
  if (request.kind === 'ignored') return answer(res, dependencies, host, 'ignored', 202, { status: 'ignored', reason: request.reason });
  const keepUntil = new Date(Date.now() + DELIVERY_RETENTION_MS);
  const { webhookDeliveries } = dependencies;
  if (
    !(await webhookDeliveries.recordFirstDelivery(host, deliveryId, keepUntil)) ||
    !(await webhookDeliveries.recordFirstDelivery(`${host}:body`, bodyDigest(body), keepUntil))
  )
    return answer(res, dependencies, host, 'duplicate', 200, { status: 'duplicate' });
  const mapped = request.repositories.map((repository) => webhookDatasetOf(dependencies.config.storage, repository));
  const datasets = mapped.flatMap((item) => ('dataset' in item ? [item.dataset] : []));
  if (datasets.length === 0) {
    const reason = mapped.map((item) => ('ignored' in item ? item.ignored : '')).find(Boolean) ?? 'no dataset';
    return answer(res, dependencies, host, 'ignored', 202, { status: 'ignored', reason });
  }
  for (const dataset of datasets) dependencies.webhookSync.schedule(dataset);
  answer(res, dependencies, host, 'accepted', 202, { status: 'accepted', datasets: datasets.map(formatDatasetId) });
}

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

const responses = {
  200: {
    description: 'A ping (`pong`), or a delivery already received (`duplicate`: nothing is done again).',
    content: json(answerSchema),
  },
  202: {
    description:
      'Accepted: the named datasets are synced in the background (`accepted`), or nothing is to be done (`ignored`, with the reason: an event Metastore does not sync on, a repository that is no dataset).',
    content: json(answerSchema),
  },
  400: problem('Verified, but without a delivery id header or a JSON object body (VALIDATION_FAILED).'),
  401: problem(
    'The delivery could not be verified (WEBHOOK_UNVERIFIED): no or a wrong signature or token, or no secret configured for the host.',
  ),
  413: problem('The body exceeds the configured limit (PAYLOAD_TOO_LARGE).'),
  415: problem('The content type is not `application/json` (set it so on the webhook).'),
};

const body = { schema: { type: 'object' }, mediaType: 'application/json', raw: true } as const;

/**
 * GitHub's webhook: `X-Hub-Signature-256` is checked over the exact bytes first (METASTORE_WEBHOOK_GITHUB_SECRET), then
 * `X-GitHub-Delivery` deduplicated, then the repository's dataset synced in the background.
 */
export const receiveGitHubWebhook = defineOperation({
  operationId: 'receiveGitHubWebhook',
  method: 'post',
  path: '/hooks/github',
  tags: ['webhooks'],
  summary: "Receive GitHub's push, tag and repository webhooks",
  description:
    "Configure on the repositories (or the organisation): payload URL `<public URL>/api/v1/hooks/github`, content type `application/json`, the secret of METASTORE_WEBHOOK_GITHUB_SECRET, events `push`, `create`, `delete` and `repository` (or all). The signature (`X-Hub-Signature-256`) is verified over the exact body before anything else; a delivery id (`X-GitHub-Delivery`) or body seen in the last 7 days is answered `duplicate` without work. A repository named `owner/name` with the storage's topic is the dataset `owner/name`; its catalog entry and events are brought level with GitHub in the background, exactly once per revision, with the author from git. The scheduled sync stays the safety net.",
  body,
  responses,
  policy: { operation: 'receiveGitHubWebhook' },
  handler: async ({ req, res, body: received, dependencies }) => {
    const secret = dependencies.config.webhooks.githubSecret;
    if (secret === undefined || !(await verifyGitHubSignature(secret, received, header(req.headers['x-hub-signature-256']))))
      return refuse(res, dependencies, 'github');
    const event = header(req.headers['x-github-event']);
    await receive(res, dependencies, 'github', header(req.headers['x-github-delivery']), received, (payload) =>
      gitHubDeliveryRequest(event, payload),
    );
  },
});

/**
 * GitLab's webhook (project, group or system hook): `X-Gitlab-Token` compared in constant time first
 * (METASTORE_WEBHOOK_GITLAB_SECRET), then `Idempotency-Key` (else `X-Gitlab-Event-UUID`) deduplicated, then the project's
 * dataset synced in the background.
 */
export const receiveGitLabWebhook = defineOperation({
  operationId: 'receiveGitLabWebhook',
  method: 'post',
  path: '/hooks/gitlab',
  tags: ['webhooks'],
  summary: "Receive GitLab's push, tag and project webhooks",
  description:
    'Configure on the root group (or each project; a system hook also reports project deletions, renames and transfers): URL `<public URL>/api/v1/hooks/gitlab`, the secret token of METASTORE_WEBHOOK_GITLAB_SECRET, triggers push events and tag push events. The token (`X-Gitlab-Token`) is checked first; a delivery (`Idempotency-Key`, else `X-Gitlab-Event-UUID`) or body seen in the last 7 days is answered `duplicate` without work. The project `<root group>/<owner>/<name>` is the dataset `owner/name`; its catalog entry and events are brought level with GitLab in the background.',
  body,
  responses,
  policy: { operation: 'receiveGitLabWebhook' },
  handler: async ({ req, res, body: received, dependencies }) => {
    const secret = dependencies.config.webhooks.gitlabSecret;
    if (secret === undefined || !verifyGitLabToken(secret, header(req.headers['x-gitlab-token'])))
      return refuse(res, dependencies, 'gitlab');
    const deliveryId = header(req.headers['idempotency-key']) ?? header(req.headers['x-gitlab-event-uuid']);
    await receive(res, dependencies, 'gitlab', deliveryId, received, gitLabDeliveryRequest);
  },
});

/** The webhook endpoints, in the order of /openapi.json. */
export const HOOK_OPERATIONS: readonly Operation[] = [receiveGitHubWebhook, receiveGitLabWebhook];
