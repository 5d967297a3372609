import specs from '@asyncapi/specs';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ConfigurationError, escapePointerToken } from '@metastore/errors';
import { EVENT_SCHEMAS, EVENT_TYPES, eventSchemaFor, type EventType } from '@metastore/events';
import { asyncApiDocument, type AsyncApiDocument } from './redis-asyncapi';

const options = { streamKey: 'metastore:events', deadLetterKey: 'metastore:events:dead' };
const document = asyncApiDocument(options);

/** The official AsyncAPI 3.0.0 JSON Schema (draft-07, many $refs). */
const asyncApiValidator = (() => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(specs.schemasWithoutId['3.0.0']);
})();

/** Schemas inside the document, resolved as AsyncAPI tools do (its default schema format is a draft-07 superset). */
function documentSchemas(target: AsyncApiDocument) {
  const warnings: unknown[] = [];
  const ajv = new Ajv({
    strictSchema: false,
    allErrors: true,
    logger: { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) },
  });
  addFormats(ajv);
  const base = 'https://metastore.test/asyncapi.json';
  ajv.addSchema({ ...target, $id: base }, base, undefined, false);
  return { at: (pointer: string) => ajv.getSchema(`${base}#${pointer}`)!, warnings };
}

function walk(node: unknown, visit: (value: Record<string, unknown>, path: string) => void, path = ''): void {
  if (Array.isArray(node)) node.forEach((item, index) => walk(item, visit, `${path}/${index}`));
  else if (typeof node === 'object' && node !== null) {
    visit(node as Record<string, unknown>, path);
    for (const [key, value] of Object.entries(node)) walk(value, visit, `${path}/${escapePointerToken(key)}`);
  }
}

function resolve(root: unknown, pointer: string): unknown {
  return pointer
    .slice(2)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, token) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[token] : undefined),
      root,
    );
}

describe('asyncApiDocument', () => {
  it('is a valid AsyncAPI 3.0.0 document', () => {
    expect(asyncApiValidator(document)).toBe(true);
    expect(asyncApiValidator.errors ?? []).toEqual([]);
  });

  it('is checked for real: the official schema rejects a broken variant', () => {
    const broken = {
      ...document,
      operations: { ...document.operations, receiveEvents: { ...document.operations['receiveEvents'], action: 'consume' } },
    };
    expect(asyncApiValidator(broken)).toBe(false);
    expect(asyncApiValidator({ ...document, channels: { events: { ...document.channels['events'], address: 42 } } })).toBe(false);
  });

  it('describes the server without credentials, and the streams at their keys', () => {
    const custom = asyncApiDocument({
      ...options,
      serverUrl: 'rediss://indexer:s3cret@redis.internal:6380/2',
      title: 'Acme events',
      version: '2.1.0',
    });
    expect(custom.servers['redis']).toMatchObject({ host: 'redis.internal:6380', protocol: 'rediss', pathname: '/2' });
    expect(JSON.stringify(custom)).not.toMatch(/s3cret|indexer@/);
    expect(custom.info).toMatchObject({ title: 'Acme events', version: '2.1.0' });
    expect(asyncApiValidator(custom)).toBe(true);
    expect(document.servers['redis']).toMatchObject({ host: 'localhost:6379', protocol: 'redis' });
    expect(document.channels['events']).toMatchObject({ address: 'metastore:events' });
    expect(document.channels['deadLetters']).toMatchObject({ address: 'metastore:events:dead' });
    expect(() => asyncApiDocument({ ...options, serverUrl: 'http://redis:6379' })).toThrow(ConfigurationError);
    expect(() => asyncApiDocument({ ...options, serverUrl: 'not a url' })).toThrow(ConfigurationError);
  });

  it('keeps a Redis Cluster hash tag in a key literal (a parameter whose only value is itself)', () => {
    const clustered = asyncApiDocument({ streamKey: '{metastore}:events', deadLetterKey: '{metastore}:events:dead' });
    expect(clustered.channels['events']).toMatchObject({
      address: '{metastore}:events',
      parameters: { metastore: { enum: ['{metastore}'] } },
    });
    expect(asyncApiValidator(clustered)).toBe(true);
    expect(document.channels['events']).not.toHaveProperty('parameters');
  });

  it('has one message per event type on the stream, received by one operation, and a dead-letter channel', () => {
    const keys = Object.keys(document.channels['events']!['messages'] as object);
    expect(keys).toHaveLength(EVENT_TYPES.length);
    expect(keys.map((key) => document.components.messages[key]!.name).sort()).toEqual([...EVENT_TYPES].sort());
    const receive = document.operations['receiveEvents']!;
    expect(receive).toMatchObject({ action: 'receive', channel: { $ref: '#/channels/events' } });
    expect((receive['messages'] as unknown[]).length).toBe(EVENT_TYPES.length);
    for (const word of [
      'XGROUP CREATE',
      'XREADGROUP',
      'XACK',
      'XAUTOCLAIM',
      'XPENDING',
      'at least once',
      'metastore:events:dead',
      '/api/v1/events?after=',
    ]) {
      expect(receive['description']).toContain(word);
    }
    expect(document.operations['receiveDeadLetters']).toMatchObject({ action: 'receive', channel: { $ref: '#/channels/deadLetters' } });
    expect(document.info.description).toContain('GET /api/v1/events?after=<sequence>');
  });

  it('references resolve, each named schema is defined once, and no $ref has siblings or $id a scope', () => {
    const titles = new Map<string, string[]>();
    walk(document, (node, path) => {
      if (typeof node['$ref'] === 'string') {
        expect([path, Object.keys(node)]).toEqual([path, ['$ref']]);
        expect([node['$ref'], resolve(document, node['$ref'])]).not.toEqual([node['$ref'], undefined]);
      }
      expect(node).not.toHaveProperty('$id');
      expect(node).not.toHaveProperty('$schema');
      if (typeof node['title'] === 'string') titles.set(node['title'], [...(titles.get(node['title']) ?? []), path]);
    });
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      expect([name, titles.get(schema['title'] as string)]).toEqual([name, [`/components/schemas/${name}`]]);
    }
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['CloudEventEnvelope', 'MetastoreEvent', 'DatasetCreatedData', 'Author', 'Tag', 'EventFeedPage']),
    );
  });

  it('every message example matches its headers and payload schemas, and the standalone event schema', () => {
    const schemas = documentSchemas(document);
    const strict = new Ajv2020({ allErrors: true });
    addFormats(strict);
    const seen = new Set<string>();
    for (const [key, message] of Object.entries(document.components.messages)) {
      expect(message.examples.length).toBeGreaterThan(0);
      const payload = schemas.at(`/components/messages/${key}/payload`);
      const headers = schemas.at(`/components/messages/${key}/headers`);
      for (const example of message.examples) {
        seen.add(example.name);
        expect([example.name, payload(example.payload) || payload.errors]).toEqual([example.name, true]);
        expect([example.name, headers(example.headers) || headers.errors]).toEqual([example.name, true]);
        const type = example.payload['type'] as EventType;
        expect(example.headers).toMatchObject({ id: example.payload['id'], type, subject: example.payload['subject'] });
        if (message.name !== 'deadLetter') expect(type).toBe(message.name);
        expect([example.name, strict.validate(eventSchemaFor(type), example.payload) || strict.errors]).toEqual([example.name, true]);
      }
    }
    expect(schemas.warnings).toEqual([]);
    const examples = Object.values(document.components.messages).flatMap((message) => message.examples);
    expect(examples.some((example) => (example.payload['data'] as Record<string, unknown>)['descriptorTruncated'] === true)).toBe(true);
    expect(
      examples.some(
        (example) =>
          example.payload['type'] === 'dataset.deleted' && (example.payload['data'] as Record<string, unknown>)['author'] === null,
      ),
    ).toBe(true);
    const eventExamples = Object.entries(document.components.messages)
      .filter(([key]) => key !== 'deadLetter')
      .flatMap(([, message]) => message.examples);
    expect(new Set(eventExamples.map((example) => example.payload['id'])).size).toBe(eventExamples.length);
    expect(seen.size).toBe(examples.length);
  });

  it('payload schemas reject what the event schemas reject: a mismatched type and data, an extra property', () => {
    const schemas = documentSchemas(document);
    const created = document.components.messages['datasetCreated']!.examples[0]!.payload;
    const deleted = document.components.messages['datasetDeleted']!.examples[0]!.payload;
    const createdPayload = schemas.at('/components/messages/datasetCreated/payload');
    expect(createdPayload({ ...deleted, type: 'dataset.created' })).toBe(false);
    expect(createdPayload({ ...created, data: { ...(created['data'] as object), extra: true } })).toBe(false);
    const anyEvent = schemas.at('/components/schemas/MetastoreEvent');
    expect(anyEvent(created)).toBe(true);
    expect(anyEvent({ ...deleted, type: 'dataset.created' })).toBe(false);
    expect(Object.keys(EVENT_SCHEMAS)).toHaveLength(EVENT_TYPES.length);
  });
});
