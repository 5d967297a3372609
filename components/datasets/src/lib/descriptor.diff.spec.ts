import { summarizeDiff } from './descriptor.diff';

describe('summarizeDiff', () => {
  it('lists resources added, removed and changed by name, and changed top-level fields other than resources, sorted', () => {
    const from = {
      name: 'x',
      title: 'T',
      keep: 1,
      resources: [
        { name: 'b', path: 'b.csv' },
        { name: 'a', path: 'a.csv' },
        { name: 'same', data: [] },
      ],
    };
    const to = {
      name: 'y',
      keep: 1,
      version: '2',
      resources: [{ name: 'same', data: [] }, { name: 'a', path: 'a2.csv' }, { name: 'd' }, { name: 'c' }],
    };
    expect(summarizeDiff(from, to)).toEqual({
      resourcesAdded: ['c', 'd'],
      resourcesRemoved: ['b'],
      resourcesChanged: ['a'],
      fieldsChanged: ['name', 'title', 'version'],
    });
  });

  it('does not count a reordering of resources as a change', () => {
    const a = { name: 'a', path: 'a.csv' };
    const b = { name: 'b', path: 'b.csv' };
    expect(summarizeDiff({ resources: [a, b] }, { resources: [b, a] })).toEqual({
      resourcesAdded: [],
      resourcesRemoved: [],
      resourcesChanged: [],
      fieldsChanged: [],
    });
  });

  it('names unnamed resources by their position and tolerates missing resources', () => {
    expect(summarizeDiff({ resources: [{ path: 'a.csv' }] }, { resources: [{ path: 'b.csv' }, 'odd'] })).toMatchObject({
      resourcesAdded: ['#1'],
      resourcesChanged: ['#0'],
    });
    expect(summarizeDiff({}, { resources: [{ name: 'a' }] })).toMatchObject({ resourcesAdded: ['a'], fieldsChanged: [] });
  });

  it('compares values deeply', () => {
    const from = { licenses: [{ name: 'CC0-1.0' }], resources: [] };
    expect(summarizeDiff(from, JSON.parse(JSON.stringify(from))).fieldsChanged).toEqual([]);
    expect(summarizeDiff(from, { ...from, licenses: [{ name: 'CC-BY-4.0' }] }).fieldsChanged).toEqual(['licenses']);
  });
});
