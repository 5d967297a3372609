import fc from 'fast-check';
import {
  buildReport,
  type CatalogDataset,
  type GitDataset,
  type ObservedEvent,
  type SoakEvidence,
  type TagRecord,
  type WriteRecord,
} from './ledger';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);
const DS = 'soak/ds-00';

function git(head: string, shas: readonly string[], tokens: Record<string, string> = {}, tags: Record<string, string> = {}): GitDataset {
  return { head, reachable: new Set(shas), tokens: new Map(Object.entries(tokens)), tags: new Map(Object.entries(tags)) };
}

function row(head: string, tags: Record<string, string> = {}, deleted = false): CatalogDataset {
  return { head, deleted, tags: new Map(Object.entries(tags)) };
}

function datasetEvent(type: string, newRevision: string, oldRevision: string | null = null): ObservedEvent {
  return { subject: DS, type, newRevision, oldRevision };
}

function tagEvent(type: string, tagName: string, newRevision: string | null, oldRevision: string | null = null): ObservedEvent {
  return { subject: DS, type, newRevision, oldRevision, tagName };
}

/** A run where everything went right: a create and an update, both in git, the catalog and the stream. */
function healthy(): SoakEvidence {
  const writes: WriteRecord[] = [
    { dataset: DS, kind: 'create', token: 'w0-1', outcome: 'acknowledged', sha: A, changed: true },
    { dataset: DS, kind: 'patch', token: 'w0-2', outcome: 'acknowledged', sha: B, changed: true },
  ];
  return {
    writes,
    tagOps: [],
    git: new Map([[DS, git(B, [A, B], { 'w0-1': A, 'w0-2': B })]]),
    catalog: new Map([[DS, row(B)]]),
    events: [datasetEvent('dataset.created', A), datasetEvent('dataset.updated', B, A)],
  };
}

describe('buildReport', () => {
  it('counts nothing wrong in a healthy run', () => {
    const report = buildReport(healthy());
    expect(report).toMatchObject({
      acknowledgedWrites: 2,
      missingFromGit: 0,
      catalogMismatches: 0,
      eventsMissing: 0,
      eventsDuplicated: 0,
      unacknowledged: 0,
    });
  });

  it('counts an acknowledged revision that is not reachable from the head as missing from git', () => {
    const evidence = healthy();
    const report = buildReport({ ...evidence, git: new Map([[DS, git(A, [A], { 'w0-1': A })]]), catalog: new Map([[DS, row(A)]]) });
    expect(report.missingFromGit).toBe(1);
    expect(report.details.missingFromGit[0]).toContain('w0-2');
  });

  it('counts a write without an answer found in git as unacknowledged but present, not as an error; a refused one not at all', () => {
    const evidence = healthy();
    const writes: WriteRecord[] = [
      ...evidence.writes,
      { dataset: DS, kind: 'patch', token: 'w0-3', outcome: 'no-response' },
      { dataset: DS, kind: 'put', token: 'w0-4', outcome: 'no-response' },
      { dataset: DS, kind: 'put', token: 'w0-5', outcome: 'refused' },
    ];
    const report = buildReport({
      ...evidence,
      writes,
      git: new Map([[DS, git(C, [A, B, C], { 'w0-1': A, 'w0-2': B, 'w0-3': C })]]),
      catalog: new Map([[DS, row(C)]]),
    });
    expect(report).toMatchObject({ unacknowledged: 2, unacknowledgedButPresent: 1, missingFromGit: 0, eventsMissing: 0 });
  });

  it('reports a write answered 4xx whose commit is in git', () => {
    const evidence = healthy();
    const report = buildReport({
      ...evidence,
      writes: [...evidence.writes, { dataset: DS, kind: 'patch', token: 'w0-3', outcome: 'rejected', status: 409 }],
      git: new Map([[DS, git(C, [A, B, C], { 'w0-3': C })]]),
      catalog: new Map([[DS, row(C)]]),
    });
    expect(report.rejectedButPresent).toBe(1);
  });

  it('accepts any tag state an unacknowledged operation after the last acknowledged one may have left', () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'move', target: B, outcome: 'no-response' },
      { dataset: DS, tag: 'v1', op: 'delete', outcome: 'rejected', status: 404 },
    ];
    const events = [...healthy().events, tagEvent('tag.created', 'v1', A)];
    for (const state of [A, B]) {
      const report = buildReport({
        ...healthy(),
        tagOps,
        events,
        git: new Map([[DS, git(B, [A, B], {}, { v1: state })]]),
        catalog: new Map([[DS, row(B, { v1: state })]]),
      });
      expect(report).toMatchObject({ missingFromGit: 0, acknowledgedTagChanges: 1, unacknowledged: 1 });
    }
    const wrong = buildReport({
      ...healthy(),
      tagOps,
      events,
      git: new Map([[DS, git(B, [A, B], {}, {})]]),
      catalog: new Map([[DS, row(B)]]),
    });
    expect(wrong.missingFromGit).toBe(1);
    expect(wrong.details.missingFromGit[0]).toContain('tag soak/ds-00 v1');
  });

  it('counts a tag deleted with an acknowledgement that git still has, and makes no claim about tags nobody acknowledged', () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'delete', outcome: 'acknowledged' },
      { dataset: DS, tag: 'v2', op: 'create', target: A, outcome: 'no-response' },
    ];
    const events = [...healthy().events, tagEvent('tag.created', 'v1', A), tagEvent('tag.deleted', 'v1', null, A)];
    const report = buildReport({
      ...healthy(),
      tagOps,
      events,
      git: new Map([[DS, git(B, [A, B], {}, { v1: A, v2: B })]]),
      catalog: new Map([[DS, row(B, { v1: A, v2: B })]]),
    });
    expect(report.missingFromGit).toBe(1);
    expect(report.eventsMissing).toBe(0);
  });

  it('compares the catalog with git: heads, tags, rows without repositories, deleted rows', () => {
    const evidence = healthy();
    const report = buildReport({
      ...evidence,
      git: new Map([
        [DS, git(B, [A, B], {}, { v1: A, v2: B })],
        ['soak/ds-01', git(C, [C])],
        ['soak/ds-02', git(D, [D])],
      ]),
      catalog: new Map([
        [DS, row(A, { v1: A, v3: C })],
        ['soak/ds-01', row(C, {}, true)],
        ['soak/ds-09', row(D)],
      ]),
    });
    // head of ds-00, its tags v2 (missing) and v3 (extra), ds-01 deleted, ds-02 without a row, ds-09 without a repository.
    expect(report.catalogMismatches).toBe(6);
  });

  it('counts acknowledged changes without an event, and more than one event for the same dataset, type and revision', () => {
    const evidence = healthy();
    const report = buildReport({ ...evidence, events: [datasetEvent('dataset.created', A), datasetEvent('dataset.created', A)] });
    expect(report).toMatchObject({ eventsMissing: 1, eventsDuplicated: 1 });
    expect(report.details.eventsMissing[0]).toContain('w0-2');
  });

  it('takes an event of another dataset type for the same revision (the sync worker found it) as present, and expects none for a write that changed nothing', () => {
    const evidence = healthy();
    const writes: WriteRecord[] = [
      ...evidence.writes,
      { dataset: DS, kind: 'patch', token: 'w0-3', outcome: 'acknowledged', sha: B, changed: false },
    ];
    const report = buildReport({
      ...evidence,
      writes,
      events: [datasetEvent('dataset.updated', A), datasetEvent('dataset.updated', B, A)],
    });
    expect(report).toMatchObject({ eventsMissing: 0, eventsDuplicated: 0 });
  });

  it('allows a tag change made twice to have two events, and matches a deletion whose previous target was uncertain', () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'delete', outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'move', target: B, outcome: 'no-response' },
      { dataset: DS, tag: 'v1', op: 'delete', outcome: 'acknowledged' },
    ];
    const events = [
      ...healthy().events,
      tagEvent('tag.created', 'v1', A),
      tagEvent('tag.deleted', 'v1', null, A),
      tagEvent('tag.created', 'v1', A),
      tagEvent('tag.updated', 'v1', B, A),
      tagEvent('tag.deleted', 'v1', null, B),
    ];
    const report = buildReport({ ...healthy(), tagOps, events });
    expect(report).toMatchObject({ missingFromGit: 0, eventsMissing: 0, eventsDuplicated: 0 });
    const once = buildReport({ ...healthy(), tagOps, events: [...events, tagEvent('tag.deleted', 'v1', null, B)] });
    expect(once.eventsDuplicated).toBe(1);
  });

  it('expects no event for a move to where the tag already points', () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'move', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'move', target: B, outcome: 'acknowledged' },
    ];
    const events = [...healthy().events, tagEvent('tag.created', 'v1', A), tagEvent('tag.updated', 'v1', B, A)];
    const git1 = new Map([[DS, git(B, [A, B], {}, { v1: B })]]);
    expect(buildReport({ ...healthy(), tagOps, events, git: git1, catalog: new Map([[DS, row(B, { v1: B })]]) })).toMatchObject({
      eventsMissing: 0,
      missingFromGit: 0,
    });
  });

  it('takes a tag move announced as created (the sync worker found the tag the catalog lacked) as announced', () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'no-response' },
      { dataset: DS, tag: 'v1', op: 'move', target: B, outcome: 'acknowledged' },
    ];
    const events = [...healthy().events, tagEvent('tag.created', 'v1', B)];
    const report = buildReport({
      ...healthy(),
      tagOps,
      events,
      git: new Map([[DS, git(B, [A, B], {}, { v1: B })]]),
      catalog: new Map([[DS, row(B, { v1: B })]]),
    });
    expect(report).toMatchObject({ eventsMissing: 0, eventsDuplicated: 0, missingFromGit: 0 });
  });

  it('takes a sync worker event standing in for lost ones as no duplicate, but the same change announced twice as one', () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'move', target: B, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'delete', outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'create', target: B, outcome: 'acknowledged' },
    ];
    // The catalog was down for the create and the move: the sync worker found v1 at B and announced it as created.
    const events = [
      ...healthy().events,
      tagEvent('tag.created', 'v1', B),
      tagEvent('tag.deleted', 'v1', null, B),
      tagEvent('tag.created', 'v1', B),
    ];
    const report = buildReport({ ...healthy(), tagOps, events });
    expect(report).toMatchObject({ eventsMissing: 1, eventsDuplicated: 0 });
    expect(report.details.eventsMissing).toEqual(['tag.created soak/ds-00 v1 → aaaaaaaaaa']);
    const twice = buildReport({
      ...healthy(),
      tagOps: tagOps.slice(0, 1),
      events: [...healthy().events, tagEvent('tag.created', 'v1', A), tagEvent('tag.created', 'v1', A)],
    });
    expect(twice.eventsDuplicated).toBe(1);
  });

  it("gives the same figures for any interleaving of the stream that keeps each tag's events in order", () => {
    const tagOps: TagRecord[] = [
      { dataset: DS, tag: 'v1', op: 'create', target: A, outcome: 'acknowledged' },
      { dataset: DS, tag: 'v1', op: 'move', target: B, outcome: 'no-response' },
      { dataset: DS, tag: 'v1', op: 'delete', outcome: 'acknowledged' },
      { dataset: DS, tag: 'v2', op: 'create', target: B, outcome: 'acknowledged' },
    ];
    const lanes: ObservedEvent[][] = [
      [...healthy().events, datasetEvent('dataset.updated', B, A)],
      [tagEvent('tag.created', 'v1', A), tagEvent('tag.updated', 'v1', B, A), tagEvent('tag.deleted', 'v1', null, B)],
      [tagEvent('tag.created', 'v2', B), tagEvent('tag.created', 'v2', B)],
    ];
    const expected = buildReport({ ...healthy(), tagOps, events: lanes.flat() });
    expect(expected).toMatchObject({ eventsMissing: 0, eventsDuplicated: 2 });
    const slots = lanes.flatMap((lane, index) => lane.map(() => index));
    fc.assert(
      fc.property(fc.shuffledSubarray(slots, { minLength: slots.length, maxLength: slots.length }), (order) => {
        const next = lanes.map(() => 0);
        const events = order.map((lane) => lanes[lane]![next[lane]!++]!);
        const report = buildReport({ ...healthy(), tagOps, events });
        expect({ ...report, details: undefined, eventsMissingFor: undefined }).toEqual({
          ...expected,
          details: undefined,
          eventsMissingFor: undefined,
        });
      }),
    );
  });
});
