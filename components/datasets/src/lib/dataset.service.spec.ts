import {
  DescriptorInvalidError,
  DomainError,
  PreconditionFailedError,
  RevisionConflictError,
  StorageUnavailableError,
  ValidationError,
} from '@metastore/errors';
import type { Author, DatasetId } from '@metastore/storage';
import { InMemoryDatasetStorage, RememberingDatasetStorage } from '@metastore/storage/testing';
import { DatasetService, serializeDescriptor } from './dataset.service';
import type { Descriptor } from './descriptor.model';
import { DescriptorValidator } from './descriptor.validator';
import { DESCRIPTOR_PATH, GITATTRIBUTES_PATH, renderLfsPointer } from './lfs-pointers';
import { numberFormsOf } from './number-forms';

const id: DatasetId = { owner: 'acme', name: 'x' };
const author: Author = { name: 'Ada Lovelace', email: 'ada@example.com' };
const otherAuthor: Author = { name: 'Grace Hopper', email: 'grace@example.com' };
const OID_A = 'a'.repeat(64);
const OID_B = 'b'.repeat(64);
const LFS_LINE = 'filter=lfs diff=lfs merge=lfs -text';

function temps(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'temps', path: 'data/temps.csv', hash: `sha256:${OID_A}`, bytes: 100, ...extra };
}

function rain(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'rain', path: 'data/rain.csv', hash: `sha256:${OID_B}`, bytes: 200, ...extra };
}

/** A descriptor without SHOULD-level findings, so tests see only the warnings they provoke. */
function descriptorWith(resources: unknown[], extra: Record<string, unknown> = {}): Descriptor {
  return { profile: 'data-package', name: 'x', id: 'urn:uuid:x', licenses: [{ name: 'CC0-1.0' }], resources, ...extra };
}

// Compiling the profiles is the slow part of a service; one validator serves every test.
const validator = new DescriptorValidator();

function setup(options: { maxWriteAttempts?: number } = {}) {
  const storage = new InMemoryDatasetStorage();
  const service = new DatasetService({ storage, validator, ...options });
  return { storage, service };
}

async function revisionCount(storage: InMemoryDatasetStorage): Promise<number> {
  return (await storage.listRevisions(id, { limit: 1000 })).items.length;
}

async function rejectionOf(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('serializeDescriptor', () => {
  it('writes two-space indented JSON with a final newline', () => {
    expect(serializeDescriptor({ name: 'x', resources: [{ name: 'a' }] })).toBe(
      '{\n  "name": "x",\n  "resources": [\n    {\n      "name": "a"\n    }\n  ]\n}\n',
    );
  });
});

describe('DatasetService', () => {
  describe('create', () => {
    it('writes datapackage.json, the LFS pointer files and .gitattributes in one commit', async () => {
      const { storage, service } = setup();
      const descriptor = descriptorWith([temps(), rain(), { name: 'inline', data: [{ x: 1 }] }]);
      const result = await service.create(id, descriptor, { author });

      expect(result.changed).toBe(true);
      expect(result.warnings).toEqual([]);
      expect(storage.calls.get('createDataset')).toBe(1);
      expect(storage.calls.get('commit')).toBeUndefined();
      expect(await revisionCount(storage)).toBe(1);
      const sha = result.revision.sha;
      expect(await storage.resolveRef(id)).toBe(sha);
      expect(await storage.readFile(id, sha, DESCRIPTOR_PATH)).toBe(`${JSON.stringify(descriptor, null, 2)}\n`);
      expect(await storage.readFile(id, sha, 'data/temps.csv')).toBe(
        `version https://git-lfs.github.com/spec/v1\noid sha256:${OID_A}\nsize 100\n`,
      );
      expect(await storage.readFile(id, sha, 'data/rain.csv')).toBe(renderLfsPointer(OID_B, 200));
      const attributes = await storage.readFile(id, sha, GITATTRIBUTES_PATH);
      expect(attributes?.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
        `/data/rain.csv ${LFS_LINE}`,
        `/data/temps.csv ${LFS_LINE}`,
        '',
      ]);
    });

    it('writes no .gitattributes when no resource needs a pointer', async () => {
      const { storage, service } = setup();
      const { revision } = await service.create(id, descriptorWith([{ name: 'a', path: 'a.csv' }]), { author });
      expect(await storage.readFile(id, revision.sha, GITATTRIBUTES_PATH)).toBeUndefined();
      expect(await storage.readFile(id, revision.sha, 'a.csv')).toBeUndefined();
    });

    it("uses the default message 'Create dataset acme/x' and records the author", async () => {
      const { service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      expect(revision).toMatchObject({ message: 'Create dataset acme/x', author, parents: [] });
    });

    it('uses a given message', async () => {
      const { service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author, message: 'Import from CKAN' });
      expect(revision.message).toBe('Import from CKAN');
    });

    it('returns the SHOULD-level warnings of the validator and of the LFS pointers', async () => {
      const { storage, service } = setup();
      const result = await service.create(id, { resources: [temps({ bytes: undefined })] }, { author });
      expect(result.warnings.map((warning) => [warning.pointer, warning.code])).toEqual([
        ['', 'NO_PROFILE'],
        ['', 'MISSING_NAME'],
        ['', 'MISSING_ID'],
        ['', 'MISSING_LICENSES'],
        ['/resources/0', 'LFS_POINTER_SKIPPED'],
      ]);
      expect(await storage.readFile(id, result.revision.sha, 'data/temps.csv')).toBeUndefined();
    });

    it('rejects an invalid descriptor with every issue and stores nothing', async () => {
      const { storage, service } = setup();
      const error = await rejectionOf(
        service.create(id, descriptorWith([temps({ path: '../etc/passwd' }), { name: 'temps' }]), { author }),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect((error as ValidationError).issues.map((issue) => issue.pointer)).toEqual([
        '/resources/0/path',
        '/resources/1',
        '/resources/1/name',
      ]);
      expect(storage.calls.has('createDataset')).toBe(false);
      await expect(service.read(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });

    it.each([
      ['the descriptor itself', DESCRIPTOR_PATH],
      ['a path below the descriptor', `${DESCRIPTOR_PATH}/x.csv`],
      ['.gitattributes', GITATTRIBUTES_PATH],
      ['.git internals', '.git/config'],
      ['.lfsconfig', '.lfsconfig'],
    ])('refuses a resource whose pointer would overwrite %s', async (_label, path) => {
      const { storage, service } = setup();
      await expect(service.create(id, descriptorWith([temps({ path })]), { author })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/resources/0/path', message: expect.any(String) }],
      });
      expect(storage.calls.has('createDataset')).toBe(false);
    });

    it('refuses conflicting pointer paths and stores nothing', async () => {
      const { storage, service } = setup();
      const descriptor = descriptorWith([temps({ path: 'data' }), rain({ path: 'data/rain.csv' })]);
      await expect(service.create(id, descriptor, { author })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/resources/0/path', message: "'data' is also used as a directory by another resource" }],
      });
      expect(storage.calls.has('createDataset')).toBe(false);
    });

    it('validates with its own DescriptorValidator when none is injected', async () => {
      const storage = new InMemoryDatasetStorage();
      const service = new DatasetService({ storage });
      await expect(service.create(id, descriptorWith([]), { author })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/resources', message: 'must list at least one resource' }],
      });
      expect(storage.calls.has('createDataset')).toBe(false);
    });

    it('rejects a non-object descriptor', async () => {
      const { service } = setup();
      await expect(service.create(id, [], { author })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ pointer: '' }] });
    });

    it('refuses to create a dataset twice', async () => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      await expect(service.create(id, descriptorWith([rain()]), { author })).rejects.toMatchObject({ code: 'DATASET_ALREADY_EXISTS' });
      expect(await revisionCount(storage)).toBe(1);
    });
  });

  describe('read', () => {
    it('returns the descriptor at head with its exact source and revision', async () => {
      const { service } = setup();
      const descriptor = descriptorWith([temps()]);
      const { revision } = await service.create(id, descriptor, { author });
      await expect(service.read(id)).resolves.toEqual({ id, revision: revision.sha, descriptor, source: serializeDescriptor(descriptor) });
    });

    it('reads at a tag, a full sha and an abbreviated sha', async () => {
      const { storage, service } = setup();
      const first = descriptorWith([temps()]);
      const { revision: v1 } = await service.create(id, first, { author });
      await storage.createTag(id, { name: 'v1', target: v1.sha, description: 'first', author });
      await service.patch(id, { title: 'Second' }, { author });

      expect((await service.read(id)).descriptor['title']).toBe('Second');
      for (const ref of ['v1', v1.sha, v1.sha.slice(0, 8)]) {
        await expect(service.read(id, ref)).resolves.toMatchObject({ revision: v1.sha, descriptor: first });
      }
      await expect(service.resolve(id, 'v1')).resolves.toBe(v1.sha);
    });

    it('fails with REF_NOT_FOUND for an unknown ref and DATASET_NOT_FOUND for an unknown dataset', async () => {
      const { service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      await expect(service.read(id, 'no-such-tag')).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
      await expect(service.read({ owner: 'acme', name: 'missing' })).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });

    it('fails with DATASET_NOT_FOUND when the revision has no datapackage.json', async () => {
      const { storage, service } = setup();
      await storage.createDataset(id, { files: [{ path: 'README.md', content: '# x\n' }], message: 'init', author });
      await expect(service.read(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });

    it('fails with DESCRIPTOR_INVALID naming the revision (keeping the cause) when the stored file is not JSON, or not an object', async () => {
      const { storage, service } = setup();
      const { sha } = await storage.createDataset(id, {
        files: [{ path: DESCRIPTOR_PATH, content: '{ not json' }],
        message: 'init',
        author,
      });
      const error = await rejectionOf(service.read(id));
      expect(error).toBeInstanceOf(DescriptorInvalidError);
      expect(error).toMatchObject({ code: 'DESCRIPTOR_INVALID', dataset: 'acme/x', revision: sha });
      expect(error.message).toContain(`acme/x at revision ${sha} is not valid JSON`);
      expect(error.cause).toBeInstanceOf(SyntaxError);

      for (const [name, content, kind] of [
        ['array', '[]\n', 'an array'],
        ['null', 'null', 'null'],
        ['text', '"text"', 'a string'],
      ] as const) {
        await storage.createDataset({ owner: 'acme', name }, { files: [{ path: DESCRIPTOR_PATH, content }], message: 'init', author });
        const notObject = await rejectionOf(service.read({ owner: 'acme', name }));
        expect(notObject).toMatchObject({ code: 'DESCRIPTOR_INVALID' });
        expect(notObject.message).toContain(`not a JSON object but ${kind}`);
      }
    });
    it('parses a revision once: reads at the head and at its sha share one deeply frozen descriptor, a new revision gets its own', async () => {
      const { service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      const atHead = await service.read(id);
      const atSha = await service.read(id, revision.sha);
      expect(atSha.descriptor).toBe(atHead.descriptor);
      expect(Object.isFrozen(atHead.descriptor)).toBe(true);
      const resources = atHead.descriptor['resources'] as Record<string, unknown>[];
      expect(() => {
        resources[0]!['bytes'] = 1;
      }).toThrow(TypeError);

      // A merge patch works on a copy: the revision read before is unchanged, the new one is parsed afresh.
      const { revision: second } = await service.patch(id, { title: 'Second' }, { author });
      const next = await service.read(id);
      expect(next.revision).toBe(second.sha);
      expect(next.descriptor).not.toBe(atHead.descriptor);
      expect(next.descriptor['title']).toBe('Second');
      expect((await service.read(id, revision.sha)).descriptor).toEqual(descriptorWith([temps()]));
    });

    it('keeps the stored number forms across cached reads and writes built on them (1.0 stays 1.0)', async () => {
      const { service } = setup();
      const text = JSON.stringify(descriptorWith([temps()], { version: 'x', scale: 1.5 })).replace('"scale":1.5', '"scale":1.0');
      await service.create(id, JSON.parse(text), { author, numberForms: numberFormsOf(text) });
      expect((await service.read(id)).source).toContain('"scale": 1.0');
      expect((await service.read(id)).source).toContain('"scale": 1.0');
      await service.patch(id, { title: 'Second' }, { author });
      const after = await service.read(id);
      expect(after.source).toContain('"scale": 1.0');
      expect(after.descriptor['title']).toBe('Second');
    });

    it('asks the storage on every read: a deleted dataset is not served from the parsed descriptors', async () => {
      const { service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      await service.read(id, revision.sha);
      await service.delete(id);
      await expect(service.read(id, revision.sha)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });
  });

  describe('a descriptor that is not a JSON object at the head (pushed by other means)', () => {
    /** A dataset whose head, pushed around Metastore, holds `content` as datapackage.json and leaves other files as they were. */
    async function brokenHead(content = '{"name": "x", oops}') {
      const { storage, service } = setup();
      const good = await service.create(id, descriptorWith([temps(), rain()]), { author });
      const broken = await storage.commit(id, {
        parent: good.revision.sha,
        changes: [{ path: DESCRIPTOR_PATH, content }],
        message: 'pushed by hand',
        author: otherAuthor,
      });
      return { storage, service, good: good.revision.sha, broken: broken.sha };
    }

    it('is repaired by a replacement, which also drops the pointer files and .gitattributes the new descriptor no longer calls for', async () => {
      const { storage, service, broken } = await brokenHead();
      const result = await service.replace(id, descriptorWith([temps()]), { author });
      expect(result.changed).toBe(true);
      expect(result.revision.parents).toEqual([broken]);
      const sha = result.revision.sha;
      expect((await service.read(id)).descriptor).toEqual(descriptorWith([temps()]));
      expect(await storage.readFile(id, sha, 'data/temps.csv')).toBe(renderLfsPointer(OID_A, 100));
      expect(await storage.readFile(id, sha, 'data/rain.csv')).toBeUndefined();
      expect(await storage.readFile(id, sha, GITATTRIBUTES_PATH)).toContain('/data/temps.csv ');
      expect(await storage.readFile(id, sha, GITATTRIBUTES_PATH)).not.toContain('rain');

      const { storage: other, service: otherService } = await brokenHead('[1, 2]');
      const bare = await otherService.replace(id, descriptorWith([{ name: 'inline', data: [] }]), { author });
      expect(await other.readFile(id, bare.revision.sha, GITATTRIBUTES_PATH)).toBeUndefined();
      expect(await other.readFile(id, bare.revision.sha, 'data/temps.csv')).toBeUndefined();
    });

    it('leaves files that are not Metastore pointers alone when repairing', async () => {
      const { storage, service } = setup();
      const good = await service.create(id, descriptorWith([temps()]), { author });
      const pushed = await storage.commit(id, {
        parent: good.revision.sha,
        changes: [
          { path: DESCRIPTOR_PATH, content: 'garbage' },
          { path: 'data/temps.csv', content: 'real,data\n1,2\n' },
        ],
        message: 'pushed by hand',
        author: otherAuthor,
      });
      const repaired = await service.replace(id, descriptorWith([{ name: 'inline', data: [] }]), { author });
      expect(repaired.revision.parents).toEqual([pushed.sha]);
      expect(await storage.readFile(id, repaired.revision.sha, 'data/temps.csv')).toBe('real,data\n1,2\n');
      expect(await storage.readFile(id, repaired.revision.sha, GITATTRIBUTES_PATH)).toBeUndefined();
    });

    it('refuses a merge patch with DESCRIPTOR_INVALID and writes nothing', async () => {
      const { storage, service, broken } = await brokenHead();
      await expect(service.patch(id, { title: 'T' }, { author })).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID', revision: broken });
      await expect(service.patch(id, { title: 'T' }, { author, ifMatch: broken })).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID' });
      expect(await storage.resolveRef(id)).toBe(broken);
    });

    it('is replaced conditionally (If-Match on the broken head), and a stale condition still fails its precondition', async () => {
      const { service, good, broken } = await brokenHead();
      await expect(service.replace(id, descriptorWith([temps()]), { author, ifMatch: good })).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
      });
      const result = await service.replace(id, descriptorWith([temps()]), { author, ifMatch: broken });
      expect(result.revision.parents).toEqual([broken]);
    });
  });

  describe('readResource', () => {
    it('returns one resource by name with the revision it was read at', async () => {
      const { service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps(), rain()]), { author });
      await expect(service.readResource(id, 'rain')).resolves.toEqual({ revision: revision.sha, resource: rain() });
    });

    it('reads a resource at an older ref', async () => {
      const { service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps(), rain()]), { author });
      await service.replace(id, descriptorWith([temps()]), { author });
      await expect(service.readResource(id, 'rain')).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
      await expect(service.readResource(id, 'rain', revision.sha)).resolves.toEqual({ revision: revision.sha, resource: rain() });
    });

    it('fails with RESOURCE_NOT_FOUND for an unknown name', async () => {
      const { service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      const error = await rejectionOf(service.readResource(id, 'snow'));
      expect(error.code).toBe('RESOURCE_NOT_FOUND');
      expect(error.message).toContain("'snow'");
    });
  });

  describe('replace', () => {
    it('makes no commit for an identical descriptor, even with another key order', async () => {
      const { storage, service } = setup();
      const descriptor = descriptorWith([temps()]);
      const { revision } = await service.create(id, descriptor, { author });
      const reordered = {
        ...Object.fromEntries(Object.entries(descriptor).reverse()),
        resources: [Object.fromEntries(Object.entries(temps()).reverse())],
      };
      expect(serializeDescriptor(reordered)).not.toBe(serializeDescriptor(descriptor));

      const result = await service.replace(id, reordered, { author: otherAuthor });
      expect(result).toEqual({ revision, changed: false, warnings: [] });
      expect(storage.calls.has('commit')).toBe(false);
      expect(await revisionCount(storage)).toBe(1);
      expect((await service.read(id)).source).toBe(serializeDescriptor(descriptor));
    });

    it('makes no commit for a descriptor that serialises to the stored file (-0, undefined members)', async () => {
      const { storage, service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps({ bytes: 0 })]), { author });
      const negativeZero = JSON.parse(serializeDescriptor(descriptorWith([temps({ bytes: 0 })])).replace('"bytes": 0', '"bytes": -0'));
      await expect(service.replace(id, negativeZero, { author })).resolves.toMatchObject({ revision, changed: false });
      await expect(service.replace(id, descriptorWith([temps({ bytes: 0 })], { title: undefined }), { author })).resolves.toMatchObject({
        revision,
        changed: false,
      });
      expect(storage.calls.has('commit')).toBe(false);
      expect(await revisionCount(storage)).toBe(1);
    });

    it("writes a change as one commit on top of head, with the default message 'Update dataset acme/x'", async () => {
      const { storage, service } = setup();
      const { revision: first } = await service.create(id, descriptorWith([temps()]), { author });
      const next = descriptorWith([temps(), rain()], { title: 'Climate' });

      const result = await service.replace(id, next, { author: otherAuthor });
      expect(result.changed).toBe(true);
      expect(result.revision).toMatchObject({ parents: [first.sha], message: 'Update dataset acme/x', author: otherAuthor });
      expect(storage.calls.get('commit')).toBe(1);
      expect(await revisionCount(storage)).toBe(2);
      await expect(service.read(id)).resolves.toMatchObject({
        revision: result.revision.sha,
        descriptor: next,
        source: serializeDescriptor(next),
      });
      expect(await storage.readFile(id, result.revision.sha, 'data/rain.csv')).toBe(renderLfsPointer(OID_B, 200));
      expect(await storage.readFile(id, result.revision.sha, GITATTRIBUTES_PATH)).toContain(`/data/rain.csv ${LFS_LINE}`);
    });

    it('uses a given message', async () => {
      const { service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      const { revision } = await service.replace(id, descriptorWith([rain()]), { author, message: 'Swap temps for rain' });
      expect(revision.message).toBe('Swap temps for rain');
    });

    it('rewrites a pointer file when the hash or size changes', async () => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      const { revision } = await service.replace(id, descriptorWith([temps({ hash: `sha256:${OID_B}`, bytes: 7 })]), { author });
      expect(await storage.readFile(id, revision.sha, 'data/temps.csv')).toBe(renderLfsPointer(OID_B, 7));
    });

    it('deletes the pointer file of a removed resource, and .gitattributes once no pointer remains', async () => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps(), rain()]), { author });

      const { revision: second } = await service.replace(id, descriptorWith([temps()]), { author });
      expect(await storage.readFile(id, second.sha, 'data/rain.csv')).toBeUndefined();
      expect(await storage.readFile(id, second.sha, 'data/temps.csv')).toBe(renderLfsPointer(OID_A, 100));
      expect(await storage.readFile(id, second.sha, GITATTRIBUTES_PATH)).not.toContain('rain.csv');
      expect(await storage.readFile(id, second.sha, GITATTRIBUTES_PATH)).toContain(`/data/temps.csv ${LFS_LINE}`);

      const { revision: third } = await service.replace(id, descriptorWith([{ name: 'inline', data: [{ x: 1 }] }]), { author });
      expect(await storage.readFile(id, third.sha, 'data/temps.csv')).toBeUndefined();
      expect(await storage.readFile(id, third.sha, GITATTRIBUTES_PATH)).toBeUndefined();
      expect(await storage.readFile(id, third.sha, DESCRIPTOR_PATH)).toBeDefined();
    });

    it('rejects an invalid descriptor without committing', async () => {
      const { storage, service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      await expect(service.replace(id, descriptorWith([]), { author })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/resources', message: 'must list at least one resource' }],
      });
      expect(storage.calls.has('commit')).toBe(false);
      expect(await storage.resolveRef(id)).toBe(revision.sha);
    });

    it('fails with PRECONDITION_FAILED on a stale ifMatch and commits nothing', async () => {
      const { storage, service } = setup();
      const { revision: first } = await service.create(id, descriptorWith([temps()]), { author });
      const { revision: second } = await service.replace(id, descriptorWith([rain()]), { author, ifMatch: first.sha });

      const error = await rejectionOf(service.replace(id, descriptorWith([temps(), rain()]), { author, ifMatch: first.sha }));
      expect(error).toBeInstanceOf(PreconditionFailedError);
      expect(error).toMatchObject({ code: 'PRECONDITION_FAILED', expected: first.sha, actual: second.sha });
      // The stale write reached the storage's compare-and-swap, which refused it: history is unchanged.
      expect((await storage.listRevisions(id, { limit: 10 })).items.map((item) => item.sha)).toEqual([second.sha, first.sha]);
      expect(await storage.resolveRef(id)).toBe(second.sha);
    });

    it('checks ifMatch even when nothing would change', async () => {
      const { service } = setup();
      const descriptor = descriptorWith([temps()]);
      await service.create(id, descriptor, { author });
      await expect(service.replace(id, descriptor, { author, ifMatch: '0'.repeat(40) })).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
      });
    });

    it('fails with DATASET_NOT_FOUND for an unknown dataset', async () => {
      const { service } = setup();
      await expect(service.replace(id, descriptorWith([temps()]), { author })).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });
  });

  describe('patch', () => {
    it('applies a JSON Merge Patch: null deletes keys, objects merge, arrays are replaced', async () => {
      const { service } = setup();
      await service.create(id, descriptorWith([temps(), rain()], { title: 'Old', keywords: ['a', 'b'], custom: { keep: 1, drop: 2 } }), {
        author,
      });
      const result = await service.patch(
        id,
        { title: null, description: 'New', keywords: ['c'], custom: { drop: null, add: 3 }, resources: [rain()] },
        { author },
      );
      expect(result.changed).toBe(true);
      expect((await service.read(id)).descriptor).toEqual(
        descriptorWith([rain()], { description: 'New', keywords: ['c'], custom: { keep: 1, add: 3 } }),
      );
    });

    it("uses the default message 'Update dataset acme/x' and records the author", async () => {
      const { service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      const { revision } = await service.patch(id, { title: 'T' }, { author: otherAuthor });
      expect(revision).toMatchObject({ message: 'Update dataset acme/x', author: otherAuthor });
    });

    it('makes no commit when the patch changes nothing', async () => {
      const { storage, service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      await expect(service.patch(id, { name: 'x', missing: null }, { author })).resolves.toEqual({
        revision,
        changed: false,
        warnings: [],
      });
      expect(storage.calls.has('commit')).toBe(false);
    });

    it.each([
      ['an array', [{ op: 'add', path: '/title', value: 'x' }]],
      ['null', null],
      ['a string', 'title'],
    ])('rejects %s as a patch before touching the storage', async (_label, patch) => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      storage.calls.clear();
      await expect(service.patch(id, patch, { author })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '', message: 'must be a JSON object' }],
      });
      expect(storage.calls.size).toBe(0);
    });

    it('rejects a patch whose result is invalid, without committing', async () => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      await expect(service.patch(id, { resources: null }, { author })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '', code: 'REQUIRED', rule: expect.any(String), message: "must have property 'resources'" }],
      });
      expect(storage.calls.has('commit')).toBe(false);
    });

    it('honours ifMatch', async () => {
      const { storage, service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      await service.patch(id, { title: 'A' }, { author, ifMatch: revision.sha });
      await expect(service.patch(id, { title: 'B' }, { author, ifMatch: revision.sha })).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
      });
      expect((await service.read(id)).descriptor['title']).toBe('A');
      expect((await storage.listRevisions(id, { limit: 10 })).items).toHaveLength(2);
    });
  });

  describe('concurrent writes', () => {
    it('lets exactly one of 20 conditional writes with the same ifMatch win', async () => {
      const { storage, service } = setup();
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) => service.patch(id, { [`key${index}`]: index }, { author, ifMatch: revision.sha })),
      );
      const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const rejected = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(19);
      expect(rejected.every((outcome) => (outcome.reason as DomainError).code === 'PRECONDITION_FAILED')).toBe(true);
      expect(await revisionCount(storage)).toBe(2);
    });

    it('applies all of 20 concurrent unconditional patches, one revision each', async () => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => service.patch(id, { [`key${index}`]: index }, { author })),
      );
      expect(results.every((result) => result.changed)).toBe(true);
      const { descriptor } = await service.read(id);
      for (let index = 0; index < 20; index += 1) expect(descriptor[`key${index}`]).toBe(index);
      expect(await revisionCount(storage)).toBe(21);
      expect(new Set(results.map((result) => result.revision.sha)).size).toBe(20);
    });

    it('retries an unconditional write that loses a race to another process', async () => {
      const storage = new InMemoryDatasetStorage();
      // Two services stand for two processes: they share the storage but not the in-process lock.
      const first = new DatasetService({ storage, validator });
      const second = new DatasetService({ storage, validator });
      await first.create(id, descriptorWith([temps()]), { author });
      await Promise.all([first.patch(id, { one: 1 }, { author }), second.patch(id, { two: 2 }, { author })]);
      expect((await first.read(id)).descriptor).toMatchObject({ one: 1, two: 2 });
      expect(await revisionCount(storage)).toBe(3);
      expect(storage.calls.get('commit')).toBe(3);
    });

    it('fails a conditional write that loses a race to another process with PRECONDITION_FAILED', async () => {
      const storage = new InMemoryDatasetStorage();
      const first = new DatasetService({ storage, validator });
      const second = new DatasetService({ storage, validator });
      const { revision } = await first.create(id, descriptorWith([temps()]), { author });
      const outcomes = await Promise.allSettled([
        first.patch(id, { one: 1 }, { author, ifMatch: revision.sha }),
        second.patch(id, { two: 2 }, { author, ifMatch: revision.sha }),
      ]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')!;
      expect(rejected.reason).toMatchObject({ code: 'PRECONDITION_FAILED', expected: revision.sha, actual: await storage.resolveRef(id) });
      expect(await revisionCount(storage)).toBe(2);
    });

    it('gives up with REVISION_CONFLICT after maxWriteAttempts lost races', async () => {
      const { storage, service } = setup({ maxWriteAttempts: 3 });
      const { revision } = await service.create(id, descriptorWith([temps()]), { author });
      const commit = jest.spyOn(storage, 'commit').mockRejectedValue(new RevisionConflictError(revision.sha, 'f'.repeat(40)));
      await expect(service.patch(id, { title: 'T' }, { author })).rejects.toBeInstanceOf(RevisionConflictError);
      expect(commit).toHaveBeenCalledTimes(3);
    });

    it('does not retry other storage failures', async () => {
      const { storage, service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      const commit = jest.spyOn(storage, 'commit').mockRejectedValue(new StorageUnavailableError('disk full'));
      await expect(service.patch(id, { title: 'T' }, { author })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect(commit).toHaveBeenCalledTimes(1);
    });
  });

  describe('rewrite', () => {
    it('passes the current descriptor and head to the rewrite function', async () => {
      const { service } = setup();
      const descriptor = descriptorWith([temps()]);
      const { revision } = await service.create(id, descriptor, { author });
      const next = jest.fn((current: () => Descriptor) => ({ ...current(), title: 'Rewritten' }));
      const result = await service.rewrite(id, next, { author, message: 'Rewrite' });
      expect(next).toHaveBeenCalledWith(expect.any(Function), revision.sha);
      expect(next.mock.calls[0]![0]()).toEqual(descriptor);
      expect(result.revision.message).toBe('Rewrite');
      expect((await service.read(id)).descriptor['title']).toBe('Rewritten');
    });
  });

  describe('delete and list', () => {
    it('deletes a dataset so that it can no longer be read or listed', async () => {
      const { service } = setup();
      await service.create(id, descriptorWith([temps()]), { author });
      await service.create({ owner: 'acme', name: 'y' }, descriptorWith([temps()]), { author });
      await service.delete(id);
      await expect(service.read(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
      await expect(service.list('acme', { limit: 10 })).resolves.toEqual({ items: ['y'] });
      await expect(service.delete(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });

    it('deletes only while If-Match names the head: a stale or weak condition fails its precondition and deletes nothing', async () => {
      const { storage, service } = setup();
      const first = await service.create(id, descriptorWith([temps()]), { author });
      const second = await service.patch(id, { title: 'Second' }, { author });
      const stale = await rejectionOf(service.delete(id, { author, ifMatch: first.revision.sha }));
      expect(stale).toMatchObject({ code: 'PRECONDITION_FAILED', expected: first.revision.sha, actual: second.revision.sha });
      await expect(service.delete(id, { ifMatch: 'weak-entity-tag' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
      expect(await storage.resolveRef(id)).toBe(second.revision.sha);
      expect((await storage.listRevisions(id, { limit: 10 })).items).toHaveLength(2);
      await service.delete(id, { author, ifMatch: second.revision.sha });
      await expect(service.read(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    });

    it('checks If-Match in the same per-dataset queue as writes: a delete queued behind a write sees its new head', async () => {
      const { service } = setup();
      const first = await service.create(id, descriptorWith([temps()]), { author });
      const [patched, deleted] = await Promise.allSettled([
        service.patch(id, { title: 'Racing' }, { author }),
        service.delete(id, { ifMatch: first.revision.sha }),
      ]);
      expect(patched.status).toBe('fulfilled');
      expect(deleted).toMatchObject({ status: 'rejected', reason: { code: 'PRECONDITION_FAILED' } });
      expect((await service.read(id)).descriptor['title']).toBe('Racing');
    });

    it("lists an owner's dataset names in order, page by page", async () => {
      const { service } = setup();
      for (const name of ['c', 'a', 'b']) await service.create({ owner: 'acme', name }, descriptorWith([temps()]), { author });
      await service.create({ owner: 'other', name: 'z' }, descriptorWith([temps()]), { author });
      const firstPage = await service.list('acme', { limit: 2 });
      expect(firstPage.items).toEqual(['a', 'b']);
      expect(firstPage.nextCursor).toBeDefined();
      await expect(service.list('acme', { limit: 2, cursor: firstPage.nextCursor })).resolves.toEqual({ items: ['c'] });
    });
  });
});

describe('DatasetService.peek (what read answers, known without waiting)', () => {
  const descriptor = descriptorWith([temps()]);

  it('is undefined until a read parsed the descriptor at the revision the storage knows, then that snapshot', async () => {
    const storage = new RememberingDatasetStorage();
    const service = new DatasetService({ storage, validator });
    const created = await service.create(id, descriptor, { author });
    expect(service.peek(id)).toBeUndefined();
    const read = await service.read(id);
    expect(service.peek(id)).toEqual(read);
    expect(service.peek(id)?.descriptor).toBe(read.descriptor);
    expect(service.peek(id)?.revision).toBe(created.revision.sha);
    // A ref the storage has not resolved: no answer, even though the descriptor at its revision is parsed.
    expect(service.peek(id, 'v1')).toBeUndefined();
    await storage.createTag(id, { name: 'v1', target: created.revision.sha, description: '', author });
    expect(await service.read(id, 'v1')).toEqual(read);
    expect(service.peek(id, 'v1')).toEqual(read);

    const patched = await service.patch(id, { title: 'Temps' }, { author });
    expect(service.peek(id)).toBeUndefined();
    // The storage knows the new head once resolved; the descriptor there only once read.
    expect(await storage.resolveRef(id)).toBe(patched.revision.sha);
    expect(service.peek(id)).toBeUndefined();
    const reread = await service.read(id);
    expect(service.peek(id)).toEqual(reread);
    expect(reread.descriptor).toMatchObject({ title: 'Temps' });
  });

  it('is undefined over a storage without peekRef, without a parsed-descriptor cache, or for a descriptor that does not parse', async () => {
    const plain = setup().service;
    await plain.create(id, descriptor, { author });
    await plain.read(id);
    expect(plain.peek(id)).toBeUndefined();

    const uncachedStorage = new RememberingDatasetStorage();
    const uncached = new DatasetService({ storage: uncachedStorage, validator, parsedDescriptors: 0 });
    await uncached.create(id, descriptor, { author });
    await uncached.read(id);
    expect(uncachedStorage.peekRef(id)).toBeDefined();
    expect(uncached.peek(id)).toBeUndefined();

    const storage = new RememberingDatasetStorage();
    const service = new DatasetService({ storage, validator });
    const created = await service.create(id, descriptor, { author });
    await storage.commit(id, {
      parent: created.revision.sha,
      changes: [{ path: DESCRIPTOR_PATH, content: '{ not json' }],
      message: 'pushed by other means',
      author,
    });
    await expect(service.read(id)).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID' });
    expect(storage.peekRef(id)).toBeDefined();
    expect(service.peek(id)).toBeUndefined();
  });
});
