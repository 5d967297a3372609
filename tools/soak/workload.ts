/**
 * The soak's load: writers (creates, merge patches, replaces) and taggers (create, move, delete), each recording
 * every request and how it ended in the ledger. Every write carries a unique token in its commit message, so git
 * later tells whether a write that got no answer landed anyway.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Outcome, TagRecord, WriteRecord } from './ledger';

/** What the writers and taggers share: where the API is, the ledger, and what has been acknowledged so far. */
export interface Workload {
  readonly apiUrl: string;
  readonly owner: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly random: () => number;
  readonly requestTimeoutMs: number;
  /** Datasets (names) at most, counting the ones being created. */
  readonly maxDatasets: number;
  readonly writes: WriteRecord[];
  readonly tagOps: TagRecord[];
  /** Names of the datasets whose creation was acknowledged: writers and taggers only use these. */
  readonly datasets: string[];
  /** Acknowledged revisions of each dataset (tag targets are picked among them). */
  readonly revisions: Map<string, string[]>;
  creating: number;
}

/** A request's outcome, with the answer's status and JSON body when there was one. */
export interface Answer {
  readonly outcome: Outcome;
  readonly status?: number;
  readonly body?: Record<string, unknown>;
  /** When the request ended (epoch ms). */
  readonly at: number;
}

/** Sends one request and classifies how it ended; never throws. */
export async function send(
  workload: Workload,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  try {
    const response = await fetch(`${workload.apiUrl}${path}`, {
      method,
      headers: { ...workload.headers, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(workload.requestTimeoutMs),
    });
    // A body cut off mid-way is no acknowledgement: the client does not know the revision it made.
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const outcome: Outcome = response.ok ? 'acknowledged' : response.status >= 500 ? 'failed' : 'rejected';
    return { outcome, status: response.status, ...(parsed ? { body: parsed } : {}), at: Date.now() };
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    return { outcome: code === 'ECONNREFUSED' ? 'refused' : 'no-response', at: Date.now() };
  }
}

function pick<T>(workload: Workload, items: readonly T[]): T {
  return items[Math.floor(workload.random() * items.length)] as T;
}

function descriptor(name: string, token: string): Record<string, unknown> {
  return {
    name,
    title: `soak ${token}`,
    description: `written by ${token}`,
    keywords: ['soak', token],
    resources: [{ name: 'data', path: 'data.csv' }],
  };
}

function revisionOf(answer: Answer): { sha?: string; changed?: boolean } {
  const revision = answer.body?.['revision'] as { sha?: unknown } | undefined;
  const changed = answer.body?.['changed'];
  return {
    ...(typeof revision?.sha === 'string' ? { sha: revision.sha } : {}),
    ...(typeof changed === 'boolean' ? { changed } : {}),
  };
}

/** Records a write and, when acknowledged, its revision. */
function recordWrite(workload: Workload, name: string, kind: WriteRecord['kind'], token: string, answer: Answer): WriteRecord {
  const { sha, changed } = answer.outcome === 'acknowledged' ? revisionOf(answer) : {};
  const record: WriteRecord = {
    dataset: `${workload.owner}/${name}`,
    kind,
    token,
    outcome: answer.outcome,
    at: answer.at,
    ...(answer.status !== undefined ? { status: answer.status } : {}),
    ...(sha !== undefined ? { sha } : {}),
    ...(changed !== undefined ? { changed } : {}),
  };
  workload.writes.push(record);
  if (sha) workload.revisions.set(name, [...(workload.revisions.get(name) ?? []), sha]);
  return record;
}

/** Creates dataset `name` (commit message `soak <token>`); an acknowledged one joins the datasets the load uses. */
export async function createDataset(workload: Workload, name: string, token: string): Promise<WriteRecord> {
  workload.creating++;
  try {
    const answer = await send(workload, 'POST', '/api/v1/datasets', {
      owner: workload.owner,
      name,
      descriptor: descriptor(name, token),
      message: `soak ${token}`,
    });
    const record = recordWrite(workload, name, 'create', token, answer);
    if (record.outcome === 'acknowledged') workload.datasets.push(name);
    return record;
  } finally {
    workload.creating--;
  }
}

/** A merge patch of the title (`patch`, `final`) or a whole new descriptor (`put`), optionally conditional on `ifMatch`. */
export async function writeDataset(
  workload: Workload,
  name: string,
  kind: 'patch' | 'put' | 'final',
  token: string,
  ifMatch?: string,
): Promise<WriteRecord> {
  const path = `/api/v1/datasets/${workload.owner}/${name}?message=${encodeURIComponent(`soak ${token}`)}`;
  const conditional: Record<string, string> = ifMatch ? { 'if-match': `"${ifMatch}"` } : {};
  const answer =
    kind === 'put'
      ? await send(workload, 'PUT', path, descriptor(name, token), { 'content-type': 'application/json', ...conditional })
      : await send(workload, 'PATCH', path, { title: `soak ${token}` }, { 'content-type': 'application/merge-patch+json', ...conditional });
  return recordWrite(workload, name, kind, token, answer);
}

function backOff(outcome: Outcome): Promise<unknown> | undefined {
  // The API is down or restarting: do not spin.
  return outcome === 'refused' || outcome === 'no-response' ? sleep(100) : undefined;
}

/** One writer until `until` (epoch ms): mostly merge patches and replaces of random datasets, a few creates, some conditional. */
export async function runWriter(workload: Workload, index: number, until: number): Promise<void> {
  for (let step = 1; Date.now() < until; step++) {
    const token = `w${index}-${step}`;
    const choice = workload.random();
    let record: WriteRecord;
    if (choice < 0.08 && workload.datasets.length + workload.creating < workload.maxDatasets) {
      record = await createDataset(workload, `ds-w${index}-${step}`, token);
    } else {
      const name = pick(workload, workload.datasets);
      const kind = choice < 0.6 ? 'patch' : 'put';
      // Some writes are conditional on the last revision this soak saw acknowledged (412 when another writer was faster).
      const ifMatch = workload.random() < 0.2 ? workload.revisions.get(name)?.at(-1) : undefined;
      record = await writeDataset(workload, name, kind, token, ifMatch);
    }
    await backOff(record.outcome);
  }
}

/** One tagger until `until`: it alone uses its tag names, one operation at a time, so each tag's operations are ordered. */
export async function runTagger(workload: Workload, index: number, until: number): Promise<void> {
  const names = [`t${index}-a`, `t${index}-b`, `rel/t${index}`];
  const belief = new Map<string, 'present' | 'absent' | 'unknown'>();
  while (Date.now() < until) {
    const dataset = pick(workload, workload.datasets);
    const tag = pick(workload, names);
    const key = `${dataset} ${tag}`;
    const state = belief.get(key) ?? 'absent';
    const op: TagRecord['op'] =
      state === 'absent'
        ? 'create'
        : state === 'present'
          ? workload.random() < 0.6
            ? 'move'
            : 'delete'
          : pick(workload, ['create', 'move', 'delete'] as const);
    const target = pick(workload, workload.revisions.get(dataset) ?? []);
    const base = `/api/v1/datasets/${workload.owner}/${dataset}/tags`;
    const answer =
      op === 'create'
        ? await send(workload, 'POST', base, { name: tag, ref: target, description: `soak tagger ${index}` })
        : op === 'move'
          ? await send(workload, 'PATCH', `${base}/${tag}`, { ref: target, force: true })
          : await send(workload, 'DELETE', `${base}/${tag}`);
    workload.tagOps.push({
      dataset: `${workload.owner}/${dataset}`,
      tag,
      op,
      ...(op === 'delete' ? {} : { target }),
      outcome: answer.outcome,
      at: answer.at,
      ...(answer.status !== undefined ? { status: answer.status } : {}),
    });
    if (answer.outcome === 'acknowledged') belief.set(key, op === 'delete' ? 'absent' : 'present');
    else if (answer.status === 409 && op === 'create') belief.set(key, 'present');
    else if (answer.status === 404 && op !== 'create') belief.set(key, 'absent');
    else if (answer.outcome !== 'refused' && answer.outcome !== 'rejected') belief.set(key, 'unknown');
    await backOff(answer.outcome);
  }
}
