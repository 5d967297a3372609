import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { eventFromChange, type EventBuilderOptions } from './event.builder';
import type { DatasetChange, EventType, MetastoreEvent } from './event.model';
import { EVENT_TYPE_DEFINITIONS, EVENT_TYPES } from './event-types';
import { EVENT_DATA_SCHEMAS, EVENT_ENVELOPE_SCHEMA, EVENT_SCHEMAS, eventSchemaFor } from './event.schemas';

const warnings: unknown[] = [];
const ajv = new Ajv2020({
  allErrors: true,
  logger: { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) },
});
addFormats(ajv);
for (const schema of [EVENT_ENVELOPE_SCHEMA, ...Object.values(EVENT_DATA_SCHEMAS), ...Object.values(EVENT_SCHEMAS)]) ajv.addSchema(schema);

const validate = (schema: { $id: string }, value: unknown): ErrorObject[] => {
  const check = ajv.getSchema(schema.$id)!;
  return check(value) ? [] : [...(check.errors ?? [])];
};
const clone = (event: MetastoreEvent): Record<string, unknown> & { data: Record<string, unknown> } => JSON.parse(JSON.stringify(event));

const SHA = { a: 'a'.repeat(40), b: 'b'.repeat(40), c: 'c'.repeat(40), long: '0123456789abcdef'.repeat(4) };
const author = { name: 'Ada Lovelace', email: 'ada@example.org' };
const descriptor = { name: 'rain', title: 'Rain', resources: [{ name: 'daily', path: 'data/daily.csv' }] };
const changed = {
  ...descriptor,
  title: 'Rainfall',
  resources: [
    { name: 'daily', path: 'data/daily.csv', format: 'csv' },
    { name: 'hourly', path: 'data/hourly.csv' },
  ],
};
const tag = { name: 'release/v1', target: SHA.a, description: 'first', author, createdAt: '2025-01-02T03:04:05.000Z' };
const movedTag = { ...tag, target: SHA.b, author: { name: 'Grace', email: 'grace@example.org' } };
const base = {
  id: { owner: 'acme', name: 'rain' },
  backend: 'local',
  location: '/data/acme/rain.git',
  time: new Date('2025-01-02T03:04:05Z'),
  origin: 'api',
} as const;
const options: EventBuilderOptions = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 4096,
  descriptorUrl: (id, revision) => `https://metastore.test/api/v1/datasets/${id.owner}/${id.name}?ref=${revision}`,
};

const cases: readonly { readonly name: string; readonly change: DatasetChange; readonly maxDescriptorBytes?: number }[] = [
  {
    name: 'created',
    change: {
      ...base,
      type: 'dataset.created',
      author,
      message: 'Create',
      newRevision: SHA.a,
      descriptorSource: JSON.stringify(descriptor),
    },
  },
  {
    name: 'created without a message, SHA-256',
    change: { ...base, type: 'dataset.created', author, newRevision: SHA.long, descriptorSource: JSON.stringify(descriptor) },
  },
  {
    name: 'created with a truncated descriptor',
    maxDescriptorBytes: 10,
    change: {
      ...base,
      type: 'dataset.created',
      author,
      message: 'Create',
      newRevision: SHA.a,
      descriptorSource: JSON.stringify(descriptor),
    },
  },
  {
    name: 'updated',
    change: {
      ...base,
      type: 'dataset.updated',
      author,
      message: 'Add hourly',
      oldRevision: SHA.a,
      newRevision: SHA.b,
      descriptorSource: JSON.stringify(changed),
      previousDescriptor: descriptor,
    },
  },
  {
    name: 'updated by a push, previous descriptor unknown, truncated',
    maxDescriptorBytes: 10,
    change: {
      ...base,
      origin: 'sync',
      type: 'dataset.updated',
      author,
      message: 'Add hourly',
      oldRevision: SHA.a,
      newRevision: SHA.b,
      descriptorSource: JSON.stringify(changed),
    },
  },
  {
    name: 'updated, history rewritten (a force-push found by the sync worker)',
    change: {
      ...base,
      origin: 'sync',
      type: 'dataset.updated',
      author,
      message: 'Start again',
      oldRevision: SHA.b,
      newRevision: SHA.c,
      descriptorSource: JSON.stringify(descriptor),
      previousDescriptor: changed,
      historyRewritten: true,
    },
  },
  {
    name: 'reverted',
    change: {
      ...base,
      type: 'dataset.reverted',
      author,
      message: 'Revert',
      oldRevision: SHA.b,
      newRevision: SHA.c,
      descriptorSource: JSON.stringify(descriptor),
      previousDescriptor: changed,
      revertedTo: SHA.a,
    },
  },
  { name: 'deleted through the API', change: { ...base, type: 'dataset.deleted', author, oldRevision: SHA.c } },
  { name: 'deleted, found by the sync worker, nobody known', change: { ...base, origin: 'sync', type: 'dataset.deleted' } },
  { name: 'tag created', change: { ...base, type: 'tag.created', author, newRevision: tag.target, tag } },
  {
    name: 'tag moved',
    change: {
      ...base,
      type: 'tag.updated',
      author: movedTag.author,
      oldRevision: tag.target,
      newRevision: movedTag.target,
      tag: movedTag,
      previousTag: tag,
    },
  },
  { name: 'tag deleted', change: { ...base, type: 'tag.deleted', oldRevision: movedTag.target, previousTag: movedTag } },
];

const build = (type: EventType): MetastoreEvent => {
  const found = cases.find((entry) => entry.change.type === type)!;
  return eventFromChange(found.change, options);
};

describe('event schemas', () => {
  it('are valid draft 2020-12 schemas with distinct ids that compile without strict-mode warnings', () => {
    const ids = [EVENT_ENVELOPE_SCHEMA, ...Object.values(EVENT_DATA_SCHEMAS), ...Object.values(EVENT_SCHEMAS)].map((schema) => schema.$id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(ajv.getSchema(id)).toBeDefined();
    expect(warnings).toEqual([]);
    expect(EVENT_DATA_SCHEMAS['dataset.updated'].$id).toBe('https://metastore.dev/schemas/events/dataset.updated.json');
  });

  it('cover every event type, and eventSchemaFor names the data schema in dataschema', () => {
    expect(Object.keys(EVENT_SCHEMAS).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(EVENT_DATA_SCHEMAS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(eventSchemaFor(type)).toBe(EVENT_SCHEMAS[type]);
      expect(eventSchemaFor(type).properties.dataschema.const).toBe(EVENT_DATA_SCHEMAS[type].$id);
    }
    for (const entry of cases) expect(EVENT_TYPES).toContain(entry.change.type);
  });

  it('derive from one definition per event type: its data schema, under a $id named for its type', () => {
    expect(EVENT_TYPES).toEqual(EVENT_TYPE_DEFINITIONS.map((definition) => definition.type));
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    for (const definition of EVENT_TYPE_DEFINITIONS) {
      expect(EVENT_DATA_SCHEMAS[definition.type]).toEqual({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `https://metastore.dev/schemas/events/${definition.type}.json`,
        ...definition.data,
      });
      expect(EVENT_SCHEMAS[definition.type].properties.data).toBe(definition.data);
    }
  });

  it.each(EVENT_TYPE_DEFINITIONS.flatMap((definition) => definition.examples.map((example) => ({ type: definition.type, example }))))(
    "accept every example of an event type's definition: $type $example.name",
    ({ type, example }) => {
      const event = eventFromChange(
        { ...example.change, type },
        { ...options, maxDescriptorBytes: example.maxDescriptorBytes ?? 256 * 1024 },
      );
      const json = JSON.parse(JSON.stringify(event));
      expect(validate(eventSchemaFor(type), json)).toEqual([]);
      expect(validate(EVENT_ENVELOPE_SCHEMA, json)).toEqual([]);
    },
  );

  it.each(cases)('accept what eventFromChange builds: $name', ({ change, maxDescriptorBytes }) => {
    const event = eventFromChange(change, { ...options, maxDescriptorBytes: maxDescriptorBytes ?? options.maxDescriptorBytes });
    const json = JSON.parse(JSON.stringify(event));
    expect(validate(eventSchemaFor(event.type), json)).toEqual([]);
    expect(validate(EVENT_ENVELOPE_SCHEMA, json)).toEqual([]);
    expect(validate(EVENT_DATA_SCHEMAS[event.type], json.data)).toEqual([]);
    if (maxDescriptorBytes !== undefined)
      expect(json.data).toMatchObject({ descriptorTruncated: true, descriptorUrl: expect.stringMatching(/^https:/) });
  });

  it('accept a dataschema attribute naming the data schema, and no other', () => {
    const event = { ...clone(build('dataset.updated')), dataschema: EVENT_DATA_SCHEMAS['dataset.updated'].$id };
    expect(validate(eventSchemaFor('dataset.updated'), event)).toEqual([]);
    expect(validate(EVENT_ENVELOPE_SCHEMA, event)).toEqual([]);
    const wrong = { ...event, dataschema: EVENT_DATA_SCHEMAS['dataset.created'].$id };
    expect(validate(eventSchemaFor('dataset.updated'), wrong)).not.toEqual([]);
    expect(validate(EVENT_ENVELOPE_SCHEMA, wrong)).not.toEqual([]);
  });

  describe('reject', () => {
    const rejected = (type: EventType, event: unknown) => {
      const errors = validate(eventSchemaFor(type), event);
      expect(errors).not.toEqual([]);
      expect(validate(EVENT_ENVELOPE_SCHEMA, event)).not.toEqual([]);
      return errors;
    };

    it('data of one type under another type', () => {
      const deletion = clone(build('tag.deleted'));
      expect(validate(EVENT_ENVELOPE_SCHEMA, { ...deletion, type: 'dataset.created' })).not.toEqual([]);
      expect(validate(eventSchemaFor('dataset.created'), { ...deletion, type: 'dataset.created' })).not.toEqual([]);
      const datasetDeletion = clone(build('dataset.deleted'));
      expect(validate(EVENT_ENVELOPE_SCHEMA, { ...datasetDeletion, type: 'dataset.updated' })).not.toEqual([]);
      const update = clone(build('dataset.updated'));
      expect(validate(EVENT_ENVELOPE_SCHEMA, { ...update, type: 'dataset.reverted' })).not.toEqual([]);
      expect(validate(eventSchemaFor('tag.created'), update)).not.toEqual([]);
    });

    it('a created dataset without newRevision, or with an old one', () => {
      const created = clone(build('dataset.created'));
      const errors = rejected('dataset.created', { ...created, data: { ...created.data, newRevision: null } });
      expect(errors.map((error) => error.instancePath)).toContain('/data/newRevision');
      const { newRevision: _dropped, ...withoutNewRevision } = created.data;
      rejected('dataset.created', { ...created, data: withoutNewRevision });
      rejected('dataset.created', { ...created, data: { ...created.data, oldRevision: SHA.b } });
    });

    it('extra properties in the envelope, the data and its parts', () => {
      const updated = clone(build('dataset.updated'));
      rejected('dataset.updated', { ...updated, traceparent: '00-abc' });
      rejected('dataset.updated', { ...updated, data: { ...updated.data, extra: 1 } });
      rejected('dataset.updated', { ...updated, data: { ...updated.data, author: { ...author, login: 'ada' } } });
      rejected('dataset.updated', { ...updated, data: { ...updated.data, dataset: { ...(updated.data['dataset'] as object), url: 'x' } } });
      const tagCreated = clone(build('tag.created'));
      rejected('tag.created', { ...tagCreated, data: { ...tagCreated.data, tag: { ...tag, sha: SHA.a } } });
    });

    it('anything but exactly one of descriptor, descriptorTruncated with descriptorUrl, or descriptorInvalid', () => {
      const updated = clone(build('dataset.updated'));
      const url = 'https://metastore.test/x';
      rejected('dataset.updated', { ...updated, data: { ...updated.data, descriptorTruncated: true, descriptorUrl: url } });
      rejected('dataset.updated', { ...updated, data: { ...updated.data, descriptorUrl: url } });
      const { descriptor: _descriptor, ...withoutDescriptor } = updated.data;
      rejected('dataset.updated', { ...updated, data: withoutDescriptor });
      rejected('dataset.updated', { ...updated, data: { ...withoutDescriptor, descriptorTruncated: true } });
      rejected('dataset.updated', { ...updated, data: { ...withoutDescriptor, descriptorTruncated: false, descriptorUrl: url } });
      rejected('dataset.updated', { ...updated, data: { ...withoutDescriptor, descriptorTruncated: true, descriptorUrl: 'not a url' } });
      expect(
        validate(eventSchemaFor('dataset.updated'), {
          ...updated,
          data: { ...withoutDescriptor, descriptorTruncated: true, descriptorUrl: url },
        }),
      ).toEqual([]);
      rejected('dataset.updated', { ...updated, data: { ...updated.data, descriptorInvalid: true } });
      rejected('dataset.updated', {
        ...updated,
        data: { ...withoutDescriptor, descriptorInvalid: true, descriptorTruncated: true, descriptorUrl: url },
      });
      rejected('dataset.updated', { ...updated, data: { ...withoutDescriptor, descriptorInvalid: false } });
      expect(validate(eventSchemaFor('dataset.updated'), { ...updated, data: { ...withoutDescriptor, descriptorInvalid: true } })).toEqual(
        [],
      );
    });

    it('per-type rules: changes, revertedTo, tags, deletions, revisions, identifiers', () => {
      const created = clone(build('dataset.created'));
      const { changes: _changes, ...withoutChanges } = created.data;
      rejected('dataset.created', { ...created, data: withoutChanges });
      rejected('dataset.created', {
        ...created,
        data: { ...created.data, changes: { fields: [], resources: { added: [], removed: ['x'], modified: [] } } },
      });
      rejected('dataset.created', { ...created, data: { ...created.data, author: null } });
      rejected('dataset.created', { ...created, data: { ...created.data, newRevision: 'abc1234' } });

      const reverted = clone(build('dataset.reverted'));
      const { revertedTo: _revertedTo, ...withoutRevertedTo } = reverted.data;
      rejected('dataset.reverted', { ...reverted, data: withoutRevertedTo });
      rejected('dataset.reverted', { ...reverted, data: { ...reverted.data, historyRewritten: true } });
      rejected('dataset.created', { ...created, data: { ...created.data, historyRewritten: true } });
      rejected('dataset.updated', {
        ...clone(build('dataset.updated')),
        data: { ...clone(build('dataset.updated')).data, historyRewritten: false },
      });
      const updated = clone(build('dataset.updated'));
      rejected('dataset.updated', { ...updated, data: { ...updated.data, revertedTo: SHA.a } });

      const deleted = clone(build('dataset.deleted'));
      rejected('dataset.deleted', { ...deleted, data: { ...deleted.data, newRevision: SHA.a } });
      rejected('dataset.deleted', { ...deleted, data: { ...deleted.data, descriptor } });
      rejected('dataset.deleted', { ...deleted, data: { ...deleted.data, message: 'Delete' } });
      const { author: _author, ...withoutAuthor } = deleted.data;
      rejected('dataset.deleted', { ...deleted, data: withoutAuthor });

      const tagCreated = clone(build('tag.created'));
      rejected('tag.created', { ...tagCreated, data: { ...tagCreated.data, previousTag: tag } });
      const { tag: _tag, ...withoutTag } = tagCreated.data;
      rejected('tag.created', { ...tagCreated, data: withoutTag });
      const tagUpdated = clone(build('tag.updated'));
      const { previousTag: _previousTag, ...withoutPreviousTag } = tagUpdated.data;
      rejected('tag.updated', { ...tagUpdated, data: withoutPreviousTag });
      const tagDeleted = clone(build('tag.deleted'));
      rejected('tag.deleted', { ...tagDeleted, data: { ...tagDeleted.data, tag: movedTag } });
      rejected('tag.deleted', { ...tagDeleted, data: { ...tagDeleted.data, newRevision: SHA.a } });

      rejected('dataset.updated', { ...updated, subject: 'Acme/Rain' });
      rejected('dataset.updated', {
        ...updated,
        data: { ...updated.data, dataset: { ...(updated.data['dataset'] as object), name: 'rain.git' } },
      });
      rejected('dataset.updated', { ...updated, specversion: '0.3' });
      rejected('dataset.updated', { ...updated, time: 'yesterday' });
      rejected('dataset.updated', { ...updated, data: { ...updated.data, origin: 'cron' } });
    });
  });
});
