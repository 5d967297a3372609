import jsonPatch, { type Operation } from 'fast-json-patch';
import { DatasetService, DescriptorValidator, numberFormsOf, serializeDescriptor, type Descriptor } from '@metastore/datasets';
import type { Author, DatasetId } from '@metastore/storage';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { RevisionService } from './revision.service';

const id: DatasetId = { owner: 'acme', name: 'x' };
const author: Author = { name: 'Ada Lovelace', email: 'ada@example.com' };
const reverter: Author = { name: 'Grace Hopper', email: 'grace@example.com' };
const OID_A = 'a'.repeat(64);
const OID_B = 'b'.repeat(64);
const validator = new DescriptorValidator();

function descriptorWith(resources: unknown[], extra: Record<string, unknown> = {}): Descriptor {
  return { profile: 'data-package', name: 'x', id: 'urn:uuid:x', licenses: [{ name: 'CC0-1.0' }], resources, ...extra };
}

const temps = { name: 'temps', path: 'data/temps.csv', hash: `sha256:${OID_A}`, bytes: 100 };
const rain = { name: 'rain', path: 'data/rain.csv', hash: `sha256:${OID_B}`, bytes: 200 };
const wind = { name: 'wind', data: [{ speed: 3 }] };

function setup() {
  const storage = new InMemoryDatasetStorage();
  const datasets = new DatasetService({ storage, validator });
  const revisions = new RevisionService(storage, datasets);
  return { storage, datasets, revisions };
}

/** Three revisions: temps+rain, then rain changed and wind added with a title, then temps removed. */
async function history() {
  const context = setup();
  const v1 = descriptorWith([temps, rain], { description: 'first' });
  const v2 = descriptorWith([temps, { ...rain, bytes: 250, hash: `sha256:${'c'.repeat(64)}` }, wind], {
    description: 'first',
    title: 'Climate',
  });
  const v3 = descriptorWith([{ ...rain, bytes: 250, hash: `sha256:${'c'.repeat(64)}` }, wind], { title: 'Climate', version: '3' });
  const first = (await context.datasets.create(id, v1, { author })).revision;
  const second = (await context.datasets.replace(id, v2, { author })).revision;
  const third = (await context.datasets.replace(id, v3, { author })).revision;
  return { ...context, descriptors: { v1, v2, v3 }, shas: { first: first.sha, second: second.sha, third: third.sha } };
}

function applied(from: Descriptor, patch: readonly Operation[]): unknown {
  expect(jsonPatch.validate([...patch], from)).toBeUndefined();
  return jsonPatch.applyPatch(jsonPatch.deepClone(from), [...patch]).newDocument;
}

describe('RevisionService', () => {
  describe('list and get', () => {
    it('lists revisions newest first, page by page', async () => {
      const { revisions, shas } = await history();
      const firstPage = await revisions.list(id, { limit: 2 });
      expect(firstPage.items.map((revision) => revision.sha)).toEqual([shas.third, shas.second]);
      expect(firstPage.nextCursor).toBeDefined();
      const secondPage = await revisions.list(id, { limit: 2, cursor: firstPage.nextCursor });
      expect(secondPage).toEqual({ items: [expect.objectContaining({ sha: shas.first, message: 'Create dataset acme/x', parents: [] })] });
    });

    it('lists from a given ref', async () => {
      const { revisions, shas } = await history();
      const page = await revisions.list(id, { limit: 10, ref: shas.second });
      expect(page.items.map((revision) => revision.sha)).toEqual([shas.second, shas.first]);
    });

    it('gets one revision by full or abbreviated sha', async () => {
      const { revisions, shas } = await history();
      await expect(revisions.get(id, shas.second)).resolves.toEqual({
        sha: shas.second,
        parents: [shas.first],
        message: 'Update dataset acme/x',
        author,
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/),
      });
      await expect(revisions.get(id, shas.second.slice(0, 10))).resolves.toMatchObject({ sha: shas.second });
      await expect(revisions.get(id, 'f'.repeat(40))).rejects.toMatchObject({ code: 'REVISION_NOT_FOUND' });
    });
  });

  describe('diff', () => {
    it('returns an RFC 6902 patch that turns the from descriptor into the to descriptor', async () => {
      const { revisions, descriptors, shas } = await history();
      for (const [fromRef, toRef, from, to] of [
        [shas.first, shas.second, descriptors.v1, descriptors.v2],
        [shas.second, shas.third, descriptors.v2, descriptors.v3],
        [shas.first, shas.third, descriptors.v1, descriptors.v3],
        [shas.third, shas.first, descriptors.v3, descriptors.v1],
      ] as const) {
        const diff = await revisions.diff(id, fromRef, toRef);
        expect(diff.from).toBe(fromRef);
        expect(diff.to).toBe(toRef);
        expect(diff.patch.length).toBeGreaterThan(0);
        expect(diff.patch.every((operation) => ['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(operation.op))).toBe(true);
        expect(applied(from, diff.patch)).toEqual(to);
      }
    });

    it('summarises the change by resource and field', async () => {
      const { revisions, shas } = await history();
      expect((await revisions.diff(id, shas.first, shas.second)).summary).toEqual({
        resourcesAdded: ['wind'],
        resourcesRemoved: [],
        resourcesChanged: ['rain'],
        fieldsChanged: ['title'],
      });
      expect((await revisions.diff(id, shas.second, shas.third)).summary).toEqual({
        resourcesAdded: [],
        resourcesRemoved: ['temps'],
        resourcesChanged: [],
        fieldsChanged: ['description', 'version'],
      });
    });

    it('diffs against head when no to ref is given, and accepts tags and abbreviated shas', async () => {
      const { storage, revisions, descriptors, shas } = await history();
      await storage.createTag(id, { name: 'v1', target: shas.first, description: '', author });
      const diff = await revisions.diff(id, 'v1');
      expect(diff).toMatchObject({ from: shas.first, to: shas.third });
      expect(applied(descriptors.v1, diff.patch)).toEqual(descriptors.v3);
      await expect(revisions.diff(id, shas.first.slice(0, 7), 'main')).resolves.toMatchObject({ from: shas.first, to: shas.third });
    });

    it('returns an empty patch and summary between a revision and itself', async () => {
      const { revisions, shas } = await history();
      await expect(revisions.diff(id, shas.second, shas.second)).resolves.toEqual({
        from: shas.second,
        to: shas.second,
        patch: [],
        summary: { resourcesAdded: [], resourcesRemoved: [], resourcesChanged: [], fieldsChanged: [] },
      });
    });

    it('fails with REF_NOT_FOUND for an unknown ref', async () => {
      const { revisions } = await history();
      await expect(revisions.diff(id, 'no-such-ref')).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
    });
  });

  describe('revert', () => {
    it('restores the file byte for byte, numbers in the form they were written at the target (1.0 stays 1.0)', async () => {
      const { storage, datasets, revisions } = setup();
      const text = JSON.stringify(descriptorWith([temps], { version: '1', scale: 1, big: 2 })).replace('"scale":1', '"scale":1.0');
      const written = text.replace('"big":2', '"big":12345678901234567890');
      const { revision } = await datasets.create(id, JSON.parse(written), { author, numberForms: numberFormsOf(written) });
      const first = await storage.readFile(id, revision.sha, 'datapackage.json');
      expect(first).toContain('"scale": 1.0');
      expect(first).toContain('"big": 12345678901234567890');
      await datasets.replace(id, descriptorWith([temps], { version: '2', scale: 3, big: 4 }), { author });
      const reverted = await revisions.revert(id, revision.sha, { author: reverter });
      expect(await storage.readFile(id, reverted.revision.sha, 'datapackage.json')).toBe(first);
    });

    it('creates one new revision whose descriptor equals the target, read back from storage', async () => {
      const { storage, datasets, revisions, descriptors, shas } = await history();
      const result = await revisions.revert(id, shas.first, { author: reverter });

      expect(result.changed).toBe(true);
      expect(result.revertedTo).toBe(shas.first);
      expect(result.revision).toMatchObject({ parents: [shas.third], message: `Revert acme/x to ${shas.first}`, author: reverter });
      expect(await storage.resolveRef(id)).toBe(result.revision.sha);
      expect((await revisions.list(id, { limit: 10 })).items).toHaveLength(4);
      const head = await datasets.read(id);
      expect(head.descriptor).toEqual(descriptors.v1);
      expect(head.source).toBe((await datasets.read(id, shas.first)).source);
      expect(head.source).toBe(serializeDescriptor(descriptors.v1));
      await expect(revisions.diff(id, shas.first)).resolves.toMatchObject({ patch: [] });
    });

    it('names the full target sha in the default message even when given a tag or an abbreviated sha', async () => {
      const { storage, revisions, shas } = await history();
      await storage.createTag(id, { name: 'v2', target: shas.second, description: '', author });
      const viaTag = await revisions.revert(id, 'v2', { author });
      expect(viaTag).toMatchObject({ revertedTo: shas.second, revision: { message: `Revert acme/x to ${shas.second}` } });
      const viaShortSha = await revisions.revert(id, shas.first.slice(0, 8), { author });
      expect(viaShortSha).toMatchObject({ revertedTo: shas.first, revision: { message: `Revert acme/x to ${shas.first}` } });
    });

    it('uses a given message', async () => {
      const { revisions, shas } = await history();
      const { revision } = await revisions.revert(id, shas.first, { author, message: 'Undo the spring cleaning' });
      expect(revision.message).toBe('Undo the spring cleaning');
    });

    it('makes no commit when the head already has the target content', async () => {
      const { storage, revisions, shas } = await history();
      const commitsBefore = storage.calls.get('commit');
      await expect(revisions.revert(id, shas.third, { author })).resolves.toMatchObject({
        changed: false,
        revertedTo: shas.third,
        revision: { sha: shas.third },
      });
      expect(storage.calls.get('commit')).toBe(commitsBefore);
      expect(await storage.resolveRef(id)).toBe(shas.third);
    });

    it('makes no commit when an older revision has the same content as head', async () => {
      const { storage, datasets, revisions, descriptors, shas } = await history();
      const { revision: fourth } = await datasets.replace(id, descriptors.v1, { author });
      const result = await revisions.revert(id, shas.first, { author });
      expect(result).toMatchObject({ changed: false, revertedTo: shas.first, revision: { sha: fourth.sha } });
      expect(await storage.resolveRef(id)).toBe(fourth.sha);
    });

    it('restores the LFS pointer files and .gitattributes of the target', async () => {
      const { storage, revisions, shas } = await history();
      const read = (sha: string, path: string) => storage.readFile(id, sha, path);
      expect(await read(shas.third, 'data/temps.csv')).toBeUndefined();

      const { revision } = await revisions.revert(id, shas.first, { author });
      for (const path of ['data/temps.csv', 'data/rain.csv', '.gitattributes', 'datapackage.json']) {
        expect(await read(revision.sha, path)).toBe(await read(shas.first, path));
      }
      expect(await read(revision.sha, 'data/rain.csv')).toContain(`oid sha256:${OID_B}\nsize 200\n`);
      expect(await read(revision.sha, '.gitattributes')).toContain('/data/temps.csv filter=lfs diff=lfs merge=lfs -text');
    });

    it('deletes pointer files and .gitattributes the target did not have', async () => {
      const { storage, datasets, revisions } = setup();
      const { revision: plain } = await datasets.create(id, descriptorWith([wind]), { author });
      await datasets.replace(id, descriptorWith([wind, temps]), { author });
      const { revision } = await revisions.revert(id, plain.sha, { author });
      expect(await storage.readFile(id, revision.sha, 'data/temps.csv')).toBeUndefined();
      expect(await storage.readFile(id, revision.sha, '.gitattributes')).toBeUndefined();
    });

    it('honours ifMatch', async () => {
      const { storage, revisions, shas } = await history();
      await expect(revisions.revert(id, shas.first, { author, ifMatch: shas.second })).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
        expected: shas.second,
        actual: shas.third,
      });
      expect(await storage.resolveRef(id)).toBe(shas.third);
      await expect(revisions.revert(id, shas.first, { author, ifMatch: shas.third })).resolves.toMatchObject({ changed: true });
    });

    it('fails with REF_NOT_FOUND for an unknown target and commits nothing', async () => {
      const { storage, revisions, shas } = await history();
      await expect(revisions.revert(id, 'nope', { author })).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
      expect(await storage.resolveRef(id)).toBe(shas.third);
    });
  });

  describe('a descriptor that is not valid JSON at the head (pushed by other means)', () => {
    async function brokenHistory() {
      const context = await history();
      const broken = await context.storage.commit(id, {
        parent: context.shas.third,
        changes: [{ path: 'datapackage.json', content: '{"name": ' }],
        message: 'pushed by hand',
        author: reverter,
      });
      return { ...context, broken: broken.sha };
    }

    it('is repaired by a revert to an earlier good revision, pointer files included', async () => {
      const { storage, datasets, revisions, descriptors, shas, broken } = await brokenHistory();
      const result = await revisions.revert(id, shas.first, { author: reverter });
      expect(result).toMatchObject({ changed: true, revertedTo: shas.first, revision: { parents: [broken] } });
      expect((await datasets.read(id)).descriptor).toEqual(descriptors.v1);
      expect(await storage.readFile(id, result.revision.sha, 'data/temps.csv')).toBe(
        await storage.readFile(id, shas.first, 'data/temps.csv'),
      );
    });

    it('refuses a revert to the broken revision and a diff from or to it with DESCRIPTOR_INVALID naming it', async () => {
      const { storage, revisions, shas, broken } = await brokenHistory();
      await expect(revisions.revert(id, broken, { author })).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID', revision: broken });
      await expect(revisions.diff(id, shas.first)).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID', revision: broken });
      await expect(revisions.diff(id, broken, shas.first)).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID', revision: broken });
      expect((await revisions.diff(id, shas.first, shas.third)).summary.fieldsChanged).toContain('title');
      expect(await storage.resolveRef(id)).toBe(broken);
    });

    it('lists the broken revision in the history like any other', async () => {
      const { revisions, shas, broken } = await brokenHistory();
      const page = await revisions.list(id, { limit: 10 });
      expect(page.items.map((revision) => revision.sha)).toEqual([broken, shas.third, shas.second, shas.first]);
      expect((await revisions.get(id, broken)).message).toBe('pushed by hand');
    });
  });
});
