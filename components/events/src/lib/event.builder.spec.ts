import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { eventFromChange } from './event.builder';
import { eventSchemaFor } from './event.schemas';

const options = {
  source: 'https://metastore.example',
  maxDescriptorBytes: 1024,
  descriptorUrl: () => 'https://metastore.example/api/v1/datasets/acme/x?ref=abc',
};
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);

describe('eventFromChange', () => {
  it('marks a descriptor that is not a JSON object (pushed to git by hand) as invalid, with no link that cannot be read, and stays valid', () => {
    for (const source of ['{not json', '[1, 2]', 'null']) {
      const event = eventFromChange(
        {
          type: 'dataset.updated',
          id: { owner: 'acme', name: 'x' },
          backend: 'local',
          location: '/srv/x.git',
          time: new Date(0),
          author: { name: 'A', email: 'a@example.com' },
          oldRevision: 'a'.repeat(40),
          newRevision: 'b'.repeat(40),
          descriptorSource: source,
          previousDescriptor: { name: 'x', resources: [{ name: 'r', path: 'r.csv' }] },
          origin: 'sync',
        },
        options,
      );
      expect(event.data).toMatchObject({ descriptorInvalid: true, changes: { fields: ['name'], resources: { removed: ['r'] } } });
      for (const absent of ['descriptor', 'descriptorTruncated', 'descriptorUrl'] as const) expect(event.data[absent]).toBeUndefined();
      expect(event.dataschema).toBe('https://metastore.dev/schemas/events/dataset.updated.json');
      expect(ajv.validate(eventSchemaFor('dataset.updated'), event)).toBe(true);
    }
  });

  it('links to a descriptor holding U+0000 and replaces it elsewhere, so that no event holds one (PostgreSQL jsonb cannot)', () => {
    const source = JSON.stringify({ name: 'x', title: 'a\u0000b', resources: [{ name: 'r\u0000', path: 'r.csv' }] });
    const event = eventFromChange(
      {
        type: 'dataset.updated',
        id: { owner: 'acme', name: 'x' },
        backend: 'local',
        location: '/srv/x.git',
        time: new Date(0),
        author: { name: 'A\u0000', email: 'a@example.com' },
        message: 'pushed\u0000by hand',
        oldRevision: 'a'.repeat(40),
        newRevision: 'b'.repeat(40),
        descriptorSource: source,
        previousDescriptor: { name: 'x', resources: [] },
        origin: 'sync',
      },
      options,
    );
    expect(JSON.stringify(event)).not.toContain('\\u0000');
    expect(event.data).toMatchObject({ descriptorTruncated: true, message: 'pushed\ufffdby hand', author: { name: 'A\ufffd' } });
    expect(event.data.changes?.resources.added).toEqual(['r\ufffd']);
    expect(ajv.validate(eventSchemaFor('dataset.updated'), event)).toBe(true);
  });
});
