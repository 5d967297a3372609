import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { DatasetStorage } from '../lib/dataset-storage.port';
import type { Author, DatasetId } from '../lib/storage.model';

/** A storage under test and how to dispose of it. */
export interface StorageUnderTest {
  readonly storage: DatasetStorage;
  readonly teardown?: () => Promise<void>;
  /** For backends with one shared namespace (a live GitHub test organisation): every dataset goes there, with unique names. */
  readonly fixedOwner?: string;
  /**
   * For backends that cannot enumerate owners and list configured ones instead (GitHub's `GITHUB_OWNERS`):
   * `listOwners` must contain each of these. Without it, `listOwners` must contain every owner holding a dataset.
   */
  readonly configuredOwners?: readonly string[];
  /**
   * For backends whose `peekRef` distrusts what was just written (local git: a ref file modified within the last second):
   * makes the dataset's refs look written long ago, so that the `peekRef` check sees answers, not only `undefined`.
   */
  readonly ageRefs?: (id: DatasetId) => Promise<void>;
}

const alice: Author = { name: 'Alice Example', email: 'alice@example.com' };
const bob: Author = { name: 'Bob Ünicode', email: 'bob@example.com' };

/** A fresh owner name per test, so backends with shared state (a GitHub org) do not collide. */
export function uniqueOwner(prefix = 'contract'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Matches an error carrying a stable domain `code`. */
function withCode(code: string) {
  return expect.objectContaining({ code });
}

/**
 * The `DatasetStorage` contract: every adapter (local git, GitHub, GitLab) runs this same suite.
 * `setup` runs once per suite; each test works in its own owner namespace.
 */
export function describeDatasetStorageContract(label: string, setup: () => Promise<StorageUnderTest>): void {
  describe(`DatasetStorage contract: ${label}`, () => {
    let subject: StorageUnderTest;
    let storage: DatasetStorage;
    let id: DatasetId;

    beforeAll(async () => {
      subject = await setup();
      storage = subject.storage;
    });
    afterAll(async () => {
      await subject?.teardown?.();
    });
    beforeEach(() => {
      id = subject.fixedOwner
        ? { owner: subject.fixedOwner, name: uniqueOwner('ct') }
        : { owner: uniqueOwner(), name: 'climate.v1_data-set' };
    });

    async function createSample(): Promise<string> {
      return createIn(id);
    }

    async function createIn(dataset: DatasetId): Promise<string> {
      const revision = await storage.createDataset(dataset, {
        files: [
          { path: 'datapackage.json', content: '{"name":"sample"}\n' },
          { path: 'data/raw/a.csv', content: 'version https://git-lfs.github.com/spec/v1\n' },
        ],
        message: 'Create sample',
        author: alice,
      });
      return revision.sha;
    }

    it('reports itself ready', async () => {
      await expect(storage.checkReady()).resolves.toBeUndefined();
    });

    it('creates a dataset with one initial commit holding every file', async () => {
      const sha = await createSample();
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      const revision = await storage.getRevision(id, sha);
      expect(revision).toMatchObject({ sha, parents: [], message: 'Create sample', author: alice });
      expect(Number.isNaN(Date.parse(revision.timestamp))).toBe(false);
      expect(await storage.resolveRef(id)).toBe(sha);
      expect(await storage.readFile(id, sha, 'datapackage.json')).toBe('{"name":"sample"}\n');
      expect(await storage.readFile(id, sha, 'data/raw/a.csv')).toContain('git-lfs');
      expect(await storage.readFile(id, sha, 'missing.json')).toBeUndefined();
    });

    it('refuses to create a dataset twice and keeps the first', async () => {
      const sha = await createSample();
      await expect(
        storage.createDataset(id, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'again', author: bob }),
      ).rejects.toEqual(withCode('DATASET_ALREADY_EXISTS'));
      expect(await storage.resolveRef(id)).toBe(sha);
    });

    it('reports unknown datasets and refs with distinct codes', async () => {
      await expect(storage.resolveRef(id)).rejects.toEqual(withCode('DATASET_NOT_FOUND'));
      await createSample();
      await expect(storage.resolveRef(id, 'no-such-tag')).rejects.toEqual(withCode('REF_NOT_FOUND'));
      // A full sha may be resolved lazily (a remote backend saves a round trip); then the first read refuses it.
      const unknownSha = '0'.repeat(40);
      const resolved: unknown = await storage.resolveRef(id, unknownSha).catch((error: unknown) => error);
      if (typeof resolved === 'string') {
        expect(resolved).toBe(unknownSha);
        await expect(storage.readFile(id, unknownSha, 'datapackage.json')).rejects.toEqual(withCode('REF_NOT_FOUND'));
      } else {
        expect(resolved).toEqual(withCode('REF_NOT_FOUND'));
      }
      await expect(storage.resolveRef(id, '../../etc/passwd')).rejects.toEqual(withCode('REF_NOT_FOUND'));
      await expect(storage.getRevision(id, 'f'.repeat(40))).rejects.toEqual(withCode('REVISION_NOT_FOUND'));
    });

    it('commits file changes atomically on top of the expected parent', async () => {
      const first = await createSample();
      const revision = await storage.commit(id, {
        parent: first,
        changes: [
          { path: 'datapackage.json', content: '{"name":"sample","title":"Ünïcödé ✓"}\n' },
          { path: 'data/raw/a.csv', delete: true },
          { path: 'data/b.csv', content: 'pointer b\n' },
        ],
        message: 'Second',
        author: bob,
      });
      expect(revision.parents).toEqual([first]);
      expect(revision.author).toEqual(bob);
      expect(await storage.resolveRef(id)).toBe(revision.sha);
      expect(await storage.readFile(id, revision.sha, 'datapackage.json')).toContain('Ünïcödé ✓');
      expect(await storage.readFile(id, revision.sha, 'data/raw/a.csv')).toBeUndefined();
      expect(await storage.readFile(id, revision.sha, 'data/b.csv')).toBe('pointer b\n');
      // The older revision is untouched.
      expect(await storage.readFile(id, first, 'data/raw/a.csv')).toContain('git-lfs');
    });

    it('refuses a commit on a stale parent and leaves the head alone', async () => {
      const first = await createSample();
      const second = await storage.commit(id, {
        parent: first,
        changes: [{ path: 'datapackage.json', content: '{"v":2}' }],
        message: 'v2',
        author: alice,
      });
      await expect(
        storage.commit(id, {
          parent: first,
          changes: [{ path: 'datapackage.json', content: '{"v":"lost"}' }],
          message: 'stale',
          author: bob,
        }),
      ).rejects.toEqual(withCode('REVISION_CONFLICT'));
      expect(await storage.resolveRef(id)).toBe(second.sha);
      expect(await storage.readFile(id, second.sha, 'datapackage.json')).toBe('{"v":2}');
    });

    it('refuses an author or tagger that would break a git header (VALIDATION_FAILED) and writes nothing', async () => {
      const sha = await createSample();
      const injected = { name: `Evil\nparent ${'0'.repeat(40)}`, email: 'e@x.com' };
      const change = { path: 'datapackage.json', content: '{"v":2}' };
      await expect(storage.commit(id, { parent: sha, changes: [change], message: 'x', author: injected })).rejects.toEqual(
        withCode('VALIDATION_FAILED'),
      );
      const tagger = { name: 'Mallory', email: 'm@x.com>\ntagger Alice <a@x.com' };
      await expect(storage.createTag(id, { name: 'v1', target: sha, description: '', author: tagger })).rejects.toEqual(
        withCode('VALIDATION_FAILED'),
      );
      const other = { ...id, name: `${id.name}-x` };
      await expect(storage.createDataset(other, { files: [change], message: 'x', author: injected })).rejects.toEqual(
        withCode('VALIDATION_FAILED'),
      );
      expect(await storage.resolveRef(id)).toBe(sha);
      await expect(storage.getTag(id, 'v1')).rejects.toEqual(withCode('TAG_NOT_FOUND'));
      await expect(storage.resolveRef(other)).rejects.toEqual(withCode('DATASET_NOT_FOUND'));
    });

    it('lets exactly one of several concurrent commits on the same parent win', async () => {
      const first = await createSample();
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, index) =>
          storage.commit(id, {
            parent: first,
            changes: [{ path: 'datapackage.json', content: `{"writer":${index}}` }],
            message: `writer ${index}`,
            author: alice,
          }),
        ),
      );
      const winners = results.filter((result) => result.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toEqual(withCode('REVISION_CONFLICT'));
      }
      const page = await storage.listRevisions(id, { limit: 10 });
      expect(page.items).toHaveLength(2);
    });

    it('lists revisions newest first with cursor pagination', async () => {
      let parent = await createSample();
      const shas = [parent];
      for (let index = 1; index <= 4; index += 1) {
        const revision = await storage.commit(id, {
          parent,
          changes: [{ path: 'datapackage.json', content: `{"v":${index}}` }],
          message: `v${index}`,
          author: alice,
        });
        parent = revision.sha;
        shas.push(parent);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await storage.listRevisions(id, { limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((revision) => revision.sha));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...shas].reverse());

      const fromOld = await storage.listRevisions(id, { limit: 10, ref: shas[1] });
      expect(fromOld.items.map((revision) => revision.sha)).toEqual([shas[1], shas[0]]);
      expect(fromOld.nextCursor).toBeUndefined();
    });

    it('resolves full and abbreviated shas, the default branch and tags', async () => {
      const sha = await createSample();
      expect(await storage.resolveRef(id, sha)).toBe(sha);
      expect(await storage.resolveRef(id, sha.slice(0, 10))).toBe(sha);
      expect(await storage.resolveRef(id, 'main')).toBe(sha);
      expect((await storage.getRevision(id, sha.slice(0, 12))).sha).toBe(sha);
    });

    it('creates, reads, rewrites, lists and deletes annotated tags', async () => {
      const first = await createSample();
      const second = await storage.commit(id, {
        parent: first,
        changes: [{ path: 'datapackage.json', content: '{"v":2}' }],
        message: 'v2',
        author: alice,
      });
      const tag = await storage.createTag(id, { name: 'v1.0', target: first, description: 'First release', author: bob });
      expect(tag).toMatchObject({ name: 'v1.0', target: first, description: 'First release', author: bob });
      expect(Number.isNaN(Date.parse(tag.createdAt))).toBe(false);
      expect(await storage.getTag(id, 'v1.0')).toEqual(tag);
      expect(await storage.resolveRef(id, 'v1.0')).toBe(first);
      expect(await storage.readFile(id, await storage.resolveRef(id, 'v1.0'), 'datapackage.json')).toBe('{"name":"sample"}\n');

      await expect(storage.createTag(id, { name: 'v1.0', target: second.sha, description: 'dup', author: bob })).rejects.toEqual(
        withCode('TAG_ALREADY_EXISTS'),
      );
      expect((await storage.getTag(id, 'v1.0')).target).toBe(first);

      const rewritten = await storage.replaceTag(id, { name: 'v1.0', target: second.sha, description: 'Moved', author: alice });
      expect(rewritten).toMatchObject({ name: 'v1.0', target: second.sha, description: 'Moved', author: alice });
      expect(await storage.resolveRef(id, 'v1.0')).toBe(second.sha);

      await storage.createTag(id, { name: 'release/2024-01', target: second.sha, description: 'Multi\nline\n', author: alice });
      await storage.createTag(id, { name: 'a-first', target: first, description: '', author: alice });
      const firstPage = await storage.listTags(id, { limit: 2 });
      expect(firstPage.items.map((item) => item.name)).toEqual(['a-first', 'release/2024-01']);
      expect(firstPage.items[1]?.description).toBe('Multi\nline\n');
      const secondPage = await storage.listTags(id, { limit: 2, cursor: firstPage.nextCursor! });
      expect(secondPage.items.map((item) => item.name)).toEqual(['v1.0']);
      expect(secondPage.nextCursor).toBeUndefined();

      await storage.deleteTag(id, 'v1.0');
      await expect(storage.getTag(id, 'v1.0')).rejects.toEqual(withCode('TAG_NOT_FOUND'));
      await expect(storage.deleteTag(id, 'v1.0')).rejects.toEqual(withCode('TAG_NOT_FOUND'));
      await expect(storage.replaceTag(id, { name: 'nope', target: first, description: '', author: alice })).rejects.toEqual(
        withCode('TAG_NOT_FOUND'),
      );
      // The tagged revision stays.
      expect((await storage.getRevision(id, second.sha)).sha).toBe(second.sha);
    });

    it('refuses a tag that would be a directory of another, or inside one, with TAG_ALREADY_EXISTS naming it', async () => {
      const sha = await createSample();
      await storage.createTag(id, { name: 'x/y', target: sha, description: '', author: alice });
      await storage.createTag(id, { name: 'z', target: sha, description: '', author: alice });
      for (const [name, existing] of [
        ['x', 'x/y'],
        ['z/w', 'z'],
        ['z/w/v', 'z'],
      ] as const) {
        const failure = await storage.createTag(id, { name, target: sha, description: '', author: alice }).catch((error: unknown) => error);
        expect(failure).toEqual(withCode('TAG_ALREADY_EXISTS'));
        expect((failure as Error).message).toContain(`'${existing}'`);
      }
      await expect(storage.getTag(id, 'x')).rejects.toEqual(withCode('TAG_NOT_FOUND'));
      await expect(storage.getTag(id, 'z/w')).rejects.toEqual(withCode('TAG_NOT_FOUND'));
      await expect(storage.resolveRef(id, 'x')).rejects.toEqual(withCode('REF_NOT_FOUND'));
      await storage.createTag(id, { name: 'x-y', target: sha, description: '', author: alice });
      await storage.createTag(id, { name: 'x/yz', target: sha, description: '', author: alice });
      expect((await storage.listTags(id, { limit: 10 })).items.map((tag) => tag.name)).toEqual(['x-y', 'x/y', 'x/yz', 'z']);
    });

    it("lists an owner's datasets in order, page by page", async () => {
      const owner = subject.fixedOwner ?? uniqueOwner();
      // In a shared namespace, names carry a unique prefix and the listing starts just before it.
      const prefix = subject.fixedOwner ? `${uniqueOwner('ls')}-` : '';
      for (const name of ['gamma', 'alpha', 'beta']) {
        await storage.createDataset(
          { owner, name: `${prefix}${name}` },
          { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author: alice },
        );
      }
      const start = prefix ? { cursor: prefix.slice(0, -1) } : {};
      const first = await storage.listDatasets(owner, { limit: 2, ...start });
      expect(first.items).toEqual([`${prefix}alpha`, `${prefix}beta`]);
      const second = await storage.listDatasets(owner, { limit: 2, cursor: first.nextCursor! });
      expect(second.items[0]).toBe(`${prefix}gamma`);
      if (!subject.fixedOwner) {
        expect(second).toEqual({ items: ['gamma'] });
        await storage.createDataset(
          { owner: uniqueOwner(), name: 'other' },
          {
            files: [{ path: 'datapackage.json', content: '{}' }],
            message: 'c',
            author: alice,
          },
        );
        expect(await storage.listDatasets(uniqueOwner(), { limit: 5 })).toEqual({ items: [] });
      }
    });

    it('lists the owners that may hold datasets, distinct and in ascending order', async () => {
      const owners = () => storage.listOwners();
      if (subject.configuredOwners) {
        expect(await owners()).toEqual(expect.arrayContaining([...subject.configuredOwners]));
      } else {
        await createSample();
        const other = { owner: subject.fixedOwner ?? uniqueOwner('aaa'), name: uniqueOwner('other') };
        await storage.createDataset(other, { files: [{ path: 'datapackage.json', content: '{}' }], message: 'c', author: alice });
        expect(await owners()).toEqual(expect.arrayContaining([id.owner, other.owner]));
      }
      const listed = await owners();
      expect(listed).toEqual([...new Set(listed)].sort());
    });

    it('answers peekRef (optional), when it answers, as resolveRef does: across commits, tag moves and deletion', async () => {
      if (storage.peekRef === undefined) return;
      const peekRef = storage.peekRef.bind(storage);
      const tagNames = ['v1', 'v2', 'release/1'];
      const step = fc.oneof(
        fc.record({ kind: fc.constant('commit' as const) }),
        fc.record({ kind: fc.constant('tag' as const), name: fc.constantFrom(...tagNames), target: fc.nat() }),
        fc.record({ kind: fc.constant('untag' as const), name: fc.constantFrom(...tagNames) }),
      );
      let runs = 0;
      let answers = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), fc.boolean(), async (steps, deleteAtEnd) => {
          runs += 1;
          const dataset = { ...id, name: `${id.name}-p${runs}` };
          const shas = [await createIn(dataset)];
          const tags = new Set<string>();
          const refs = () => [undefined, 'main', ...tagNames, 'bad..name', ...shas, 'f'.repeat(40)];
          // Each ref is peeked before and after resolveRef (which may teach the backend): an answer is resolveRef's.
          const check = async () => {
            for (const ref of refs()) {
              const before = peekRef(dataset, ref);
              const resolved = await storage.resolveRef(dataset, ref).catch((error: unknown) => error);
              const after = peekRef(dataset, ref);
              for (const peeked of [before, after]) {
                if (peeked === undefined) continue;
                answers += 1;
                expect({ ref, peeked }).toEqual({ ref, peeked: resolved });
              }
            }
          };
          for (const next of steps) {
            if (next.kind === 'commit') {
              const parent = shas[shas.length - 1]!;
              const change = { path: 'datapackage.json', content: `{"v":${shas.length}}` };
              shas.push((await storage.commit(dataset, { parent, changes: [change], message: 'next', author: alice })).sha);
            } else if (next.kind === 'tag') {
              const request = { name: next.name, target: shas[next.target % shas.length]!, description: '', author: alice };
              await (tags.has(next.name) ? storage.replaceTag(dataset, request) : storage.createTag(dataset, request));
              tags.add(next.name);
            } else if (tags.delete(next.name)) {
              await storage.deleteTag(dataset, next.name);
            }
            await check();
            await subject.ageRefs?.(dataset);
            await check();
          }
          if (deleteAtEnd) {
            await storage.deleteDataset(dataset);
            await check();
          }
        }),
        { numRuns: 30 },
      );
      // Aged refs read once are known without waiting: the check above was not vacuous.
      if (subject.ageRefs) expect(answers).toBeGreaterThan(0);
    });

    it('deletes a dataset', async () => {
      await createSample();
      await storage.deleteDataset(id);
      await expect(storage.resolveRef(id)).rejects.toEqual(withCode('DATASET_NOT_FOUND'));
      await expect(storage.deleteDataset(id)).rejects.toEqual(withCode('DATASET_NOT_FOUND'));
      // The name is free again.
      const sha = await createSample();
      expect(await storage.resolveRef(id)).toBe(sha);
    });

    it('deletes a dataset only while its head is the expected one', async () => {
      const first = await createSample();
      const second = await storage.commit(id, {
        parent: first,
        changes: [{ path: 'datapackage.json', content: '{"v":2}' }],
        message: 'v2',
        author: alice,
      });
      await expect(storage.deleteDataset(id, { expectedHead: first, author: bob })).rejects.toEqual(withCode('REVISION_CONFLICT'));
      expect(await storage.resolveRef(id)).toBe(second.sha);
      expect(await storage.readFile(id, first, 'datapackage.json')).toBe('{"name":"sample"}\n');
      await storage.deleteDataset(id, { expectedHead: second.sha, author: bob });
      await expect(storage.resolveRef(id)).rejects.toEqual(withCode('DATASET_NOT_FOUND'));
      await expect(storage.deleteDataset(id, { expectedHead: second.sha })).rejects.toEqual(withCode('DATASET_NOT_FOUND'));
    });
  });
}
