/**
 * What the soak counts, as pure functions: from what the clients were told (the ledger of every write and tag
 * operation) and what was found afterwards (git, the catalog, the event stream), the columns of the report.
 */

/** How one request ended, as the client saw it. */
export type Outcome =
  /** 2xx: the API said it happened. */
  | 'acknowledged'
  /** 4xx: the API said it did not happen. */
  | 'rejected'
  /** 5xx: an answer, but not a yes; the change may or may not have reached git. */
  | 'failed'
  /** The connection broke or timed out after the request may have been sent (the API was killed): unknown. */
  | 'no-response'
  /** Nothing listened (the API was down): the request never reached it. */
  | 'refused';

/** Outcomes after which the change may have happened although nobody acknowledged it. */
export function mayHaveApplied(outcome: Outcome): boolean {
  return outcome === 'failed' || outcome === 'no-response';
}

/** One dataset write (create, merge patch, replace): `token` is in its commit message, so git says whether it landed. */
export interface WriteRecord {
  /** `owner/name`. */
  readonly dataset: string;
  readonly kind: 'create' | 'patch' | 'put' | 'final';
  readonly token: string;
  readonly outcome: Outcome;
  readonly status?: number;
  /** The new revision, from an acknowledged answer. */
  readonly sha?: string;
  /** Whether the acknowledged write made a commit (identical writes do not). */
  readonly changed?: boolean;
  /** When the request ended (epoch ms), to tell which fault it met. */
  readonly at?: number;
}

/** One tag operation; operations on one (dataset, tag) are recorded in the order they were made, one at a time. */
export interface TagRecord {
  readonly dataset: string;
  readonly tag: string;
  readonly op: 'create' | 'move' | 'delete';
  /** The revision a create or move asked for (always a full sha). */
  readonly target?: string;
  readonly outcome: Outcome;
  readonly status?: number;
  /** When the request ended (epoch ms), to tell which fault it met. */
  readonly at?: number;
}

/** One dataset as found in git after the run. */
export interface GitDataset {
  /** The head revision; null when the repository has no readable head. */
  readonly head: string | null;
  /** Every revision reachable from the head. */
  readonly reachable: ReadonlySet<string>;
  /** Revisions by the soak token found in their commit message. */
  readonly tokens: ReadonlyMap<string, string>;
  /** Tag name → the revision it points at (peeled). */
  readonly tags: ReadonlyMap<string, string>;
}

/** One dataset as the catalog database records it. */
export interface CatalogDataset {
  readonly head: string;
  readonly deleted: boolean;
  readonly tags: ReadonlyMap<string, string>;
}

/** The fields of a stream event the checks need. */
export interface ObservedEvent {
  /** `owner/name`. */
  readonly subject: string;
  readonly type: string;
  readonly newRevision: string | null;
  readonly oldRevision: string | null;
  /** For tag events: the tag's name (after the change, or before it for a deletion). */
  readonly tagName?: string;
}

/** Every column of the soak's table, with a few examples of each nonzero one. */
export interface SoakReport {
  readonly acknowledgedWrites: number;
  readonly acknowledgedTagChanges: number;
  /** Writes and tag operations that got no answer or a 5xx: they may or may not have happened. */
  readonly unacknowledged: number;
  /** Unacknowledged writes whose commit is in git (not an error: the API died after git, before answering). */
  readonly unacknowledgedButPresent: number;
  /** Writes answered 4xx whose commit is in git anyway (should not happen). */
  readonly rejectedButPresent: number;
  readonly missingFromGit: number;
  readonly catalogMismatches: number;
  readonly eventsMissing: number;
  readonly eventsDuplicated: number;
  /** The acknowledged changes without an event (the records behind `details.eventsMissing`). */
  readonly eventsMissingFor: readonly (WriteRecord | TagRecord)[];
  readonly details: {
    readonly missingFromGit: readonly string[];
    readonly catalogMismatches: readonly string[];
    readonly eventsMissing: readonly string[];
    readonly eventsDuplicated: readonly string[];
    readonly rejectedButPresent: readonly string[];
  };
}

/** What the checks compare. */
export interface SoakEvidence {
  readonly writes: readonly WriteRecord[];
  readonly tagOps: readonly TagRecord[];
  /** Every soak dataset found in git, by `owner/name`. */
  readonly git: ReadonlyMap<string, GitDataset>;
  /** Every soak dataset row in the catalog, by `owner/name`. */
  readonly catalog: ReadonlyMap<string, CatalogDataset>;
  readonly events: readonly ObservedEvent[];
}

const ABSENT = '(absent)';
const DATASET_TYPES = new Set(['dataset.created', 'dataset.updated', 'dataset.reverted']);

/** The states a tag may be in after its operations: the result of the last acknowledged one, plus any unacknowledged one after it. */
interface TagHistory {
  readonly possible: Set<string>;
  acknowledged: boolean;
}

function tagKey(dataset: string, tag: string): string {
  return `${dataset}\u0000${tag}`;
}

/** The key an expected tag event is matched on: a tag set to a revision is announced as created or updated alike. */
function matchKey(subject: string, type: string, tagName: string | undefined, revision: string | null): string {
  return eventKey(subject, type === 'tag.deleted' ? type : 'tag.set', tagName, revision);
}

function eventKey(subject: string, type: string, tagName: string | undefined, revision: string | null): string {
  return [subject, type, tagName ?? '', revision ?? ''].join('\u0000');
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 10) : ABSENT;
}

/** Counts every column from the evidence; deterministic for a given input. */
export function buildReport(evidence: SoakEvidence): SoakReport {
  const missingFromGit: string[] = [];
  const catalogMismatches: string[] = [];
  const eventsMissing: string[] = [];
  const eventsMissingFor: (WriteRecord | TagRecord)[] = [];
  const eventsDuplicated: string[] = [];
  const rejectedButPresent: string[] = [];
  const noGit: GitDataset = { head: null, reachable: new Set(), tokens: new Map(), tags: new Map() };

  // Writes: an acknowledged revision must be reachable from its dataset's head.
  let unacknowledgedButPresent = 0;
  for (const write of evidence.writes) {
    const git = evidence.git.get(write.dataset) ?? noGit;
    if (write.outcome === 'acknowledged') {
      if (!write.sha || !git.reachable.has(write.sha)) {
        missingFromGit.push(
          `${write.kind} ${write.dataset} ${short(write.sha)} (${write.token}) not reachable from head ${short(git.head)}`,
        );
      }
    } else if (mayHaveApplied(write.outcome) && git.tokens.has(write.token)) {
      unacknowledgedButPresent++;
    } else if (write.outcome === 'rejected' && git.tokens.has(write.token)) {
      rejectedButPresent.push(
        `${write.kind} ${write.dataset} (${write.token}) answered ${write.status} but committed as ${short(git.tokens.get(write.token))}`,
      );
    }
  }

  // Tags: replay each tag's operations; the final state in git must be one the acknowledged operations allow.
  const histories = new Map<string, TagHistory>();
  const expectedTagEvents: { key: string; anyRevisionOf?: string; label: string; op: TagRecord }[] = [];
  const allowance = new Map<string, number>();
  const allow = (key: string) => allowance.set(key, (allowance.get(key) ?? 0) + 1);
  for (const op of evidence.tagOps) {
    const key = tagKey(op.dataset, op.tag);
    const history = histories.get(key) ?? { possible: new Set([ABSENT]), acknowledged: false };
    histories.set(key, history);
    const result = op.op === 'delete' ? ABSENT : (op.target ?? ABSENT);
    const before = [...history.possible];
    const type = op.op === 'create' ? 'tag.created' : op.op === 'move' ? 'tag.updated' : 'tag.deleted';
    const revisions = op.op === 'delete' ? before.filter((state) => state !== ABSENT) : [result];
    if (op.outcome === 'acknowledged' || mayHaveApplied(op.outcome)) {
      for (const revision of revisions) allow(eventKey(op.dataset, type, op.tag, revision));
    }
    if (op.outcome === 'acknowledged') {
      history.possible.clear();
      history.possible.add(result);
      history.acknowledged = true;
      const label = `${type} ${op.dataset} ${op.tag} → ${short(op.op === 'delete' ? null : result)}`;
      // A move to where the tag (maybe) already points changes nothing, and nothing is announced.
      if (op.op === 'move' && before.includes(result)) continue;
      if (revisions.length === 1) expectedTagEvents.push({ key: matchKey(op.dataset, type, op.tag, revisions[0]!), label, op });
      else expectedTagEvents.push({ key: '', anyRevisionOf: matchKey(op.dataset, type, op.tag, null), label, op });
    } else if (mayHaveApplied(op.outcome)) {
      history.possible.add(result);
    }
  }
  for (const [key, history] of histories) {
    if (!history.acknowledged) continue;
    const [dataset, tag] = key.split('\u0000') as [string, string];
    const actual = (evidence.git.get(dataset) ?? noGit).tags.get(tag) ?? ABSENT;
    if (!history.possible.has(actual)) {
      missingFromGit.push(
        `tag ${dataset} ${tag}: git has ${short(actual === ABSENT ? null : actual)}, acknowledged ${[...history.possible].map((state) => short(state === ABSENT ? null : state)).join(' or ')}`,
      );
    }
  }

  // Catalog: after the sync, every dataset's head and tags as git has them, and no row git does not have.
  for (const [dataset, git] of evidence.git) {
    const row = evidence.catalog.get(dataset);
    if (!row || row.deleted) {
      catalogMismatches.push(`${dataset}: in git (head ${short(git.head)}), ${row ? 'deleted' : 'no row'} in the catalog`);
      continue;
    }
    if (row.head !== git.head) catalogMismatches.push(`${dataset}: catalog head ${short(row.head)}, git head ${short(git.head)}`);
    for (const name of new Set([...git.tags.keys(), ...row.tags.keys()])) {
      const inGit = git.tags.get(name);
      const inCatalog = row.tags.get(name);
      if (inGit !== inCatalog) catalogMismatches.push(`${dataset} tag ${name}: catalog ${short(inCatalog)}, git ${short(inGit)}`);
    }
  }
  for (const [dataset, row] of evidence.catalog) {
    if (!row.deleted && !evidence.git.has(dataset)) catalogMismatches.push(`${dataset}: a catalog row, no repository in git`);
  }

  // Events: one per acknowledged change (a tag set to a revision counts whether announced as created or as updated: the
  // sync worker announces a tag the catalog lacks as created); never two for the same dataset, type and revision (and
  // tag). `events` is in stream order.
  const counts = new Map<string, number>();
  const unmatched = new Map<string, number>();
  const revisionsWithEvent = new Set<string>();
  for (const event of evidence.events) {
    const key = eventKey(event.subject, event.type, event.tagName, event.type === 'tag.deleted' ? event.oldRevision : event.newRevision);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (event.type.startsWith('tag.')) {
      const match = matchKey(
        event.subject,
        event.type,
        event.tagName,
        event.type === 'tag.deleted' ? event.oldRevision : event.newRevision,
      );
      unmatched.set(match, (unmatched.get(match) ?? 0) + 1);
    }
    if (DATASET_TYPES.has(event.type) && event.newRevision) revisionsWithEvent.add(`${event.subject}\u0000${event.newRevision}`);
  }
  for (const write of evidence.writes) {
    if (write.outcome !== 'acknowledged' || write.changed === false || !write.sha) continue;
    if (revisionsWithEvent.has(`${write.dataset}\u0000${write.sha}`)) continue;
    eventsMissing.push(`${write.kind} ${write.dataset} ${short(write.sha)} (${write.token})`);
    eventsMissingFor.push(write);
  }
  const take = (key: string | undefined): boolean => {
    const left = key === undefined ? 0 : (unmatched.get(key) ?? 0);
    if (key !== undefined && left > 0) unmatched.set(key, left - 1);
    return left > 0;
  };
  // Exact expectations first; a deletion whose previous target is ambiguous then takes any deletion event of its tag.
  for (const expected of expectedTagEvents.filter((candidate) => candidate.anyRevisionOf === undefined)) {
    if (take(expected.key)) continue;
    eventsMissing.push(expected.label);
    eventsMissingFor.push(expected.op);
  }
  for (const expected of expectedTagEvents.filter((candidate) => candidate.anyRevisionOf !== undefined)) {
    const prefix = expected.anyRevisionOf as string;
    if (take([...unmatched.keys()].sort().find((key) => key.startsWith(prefix) && (unmatched.get(key) ?? 0) > 0))) continue;
    eventsMissing.push(expected.label);
    eventsMissingFor.push(expected.op);
  }
  // A tag event is a duplicate only if it changes nothing after the tag's earlier events (in stream order) and there are
  // more of its kind than operations that could have made it: a sync worker's event that stands in for changes whose
  // own events were lost (created at the tag's latest target) is not one, nor a tag created again at the same revision.
  const noOps = new Map<string, number>();
  const tagStates = new Map<string, string>();
  for (const event of evidence.events) {
    if (!event.type.startsWith('tag.') || event.tagName === undefined) continue;
    const tag = tagKey(event.subject, event.tagName);
    const next = event.type === 'tag.deleted' ? ABSENT : (event.newRevision ?? ABSENT);
    const key = eventKey(event.subject, event.type, event.tagName, event.type === 'tag.deleted' ? event.oldRevision : event.newRevision);
    if ((tagStates.get(tag) ?? ABSENT) === next) noOps.set(key, (noOps.get(key) ?? 0) + 1);
    tagStates.set(tag, next);
  }
  let duplicated = 0;
  for (const [key, count] of counts) {
    const [subject, type, tagName, revision] = key.split('\u0000') as [string, string, string, string];
    const isTag = type.startsWith('tag.');
    const allowed = isTag ? Math.max(1, allowance.get(key) ?? 0) : 1;
    const extra = isTag ? Math.min(noOps.get(key) ?? 0, count - allowed) : count - allowed;
    if (extra <= 0) continue;
    duplicated += extra;
    eventsDuplicated.push(
      `${type} ${subject}${tagName ? ` ${tagName}` : ''} ${short(revision || null)}: ${count} events, ${allowed} expected`,
    );
  }

  return {
    acknowledgedWrites: evidence.writes.filter((write) => write.outcome === 'acknowledged').length,
    acknowledgedTagChanges: evidence.tagOps.filter((op) => op.outcome === 'acknowledged').length,
    unacknowledged: [...evidence.writes, ...evidence.tagOps].filter((record) => mayHaveApplied(record.outcome)).length,
    unacknowledgedButPresent,
    rejectedButPresent: rejectedButPresent.length,
    missingFromGit: missingFromGit.length,
    catalogMismatches: catalogMismatches.length,
    eventsMissing: eventsMissing.length,
    eventsDuplicated: duplicated,
    eventsMissingFor,
    details: { missingFromGit, catalogMismatches, eventsMissing, eventsDuplicated, rejectedButPresent },
  };
}
