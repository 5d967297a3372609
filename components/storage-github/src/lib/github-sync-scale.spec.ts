import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { CatalogSync, catalogEntryOf } from '@metastore/catalog';
import { InMemoryCatalogStore, InMemorySyncWatermarkStore } from '@metastore/catalog/testing';
import type { DatasetId } from '@metastore/storage';
import { seedGitHubRepositories, startGitHubTestServer, type GitHubTestServer } from '../testing';
import { GitHubStorage } from './github.adapter';
import { parseGitHubStorageConfig } from './github.config';

/**
 * A sync of an owner with thousands of datasets, at the GitHub test server over real HTTP: the repositories are seeded
 * straight into the server's data directory, the catalog holds their rows and a watermark as a sync left them, and each
 * run gets a fresh adapter (a CronJob starts cold: only the watermark in the catalog database carries ETags over).
 */
// The size: 52 s here on a quiet machine (seeding and starting the server 10 s, the 1% run's 100 commits through the
// API 13 s), up to 150 s under the other engineers' load; METASTORE_SYNC_SCALE_DATASETS=1000 for a quick run (15 s).
const DATASETS = Number(process.env['METASTORE_SYNC_SCALE_DATASETS'] ?? 10_000);
const OWNER = 'scale-org';
const SMALL_OWNER = 'fresh-org';
const TOKEN = 'ghp_scale';
const DESCRIPTOR = `${JSON.stringify({ name: 'seeded', title: 'Seeded dataset', resources: [{ name: 'r', path: 'data.csv' }] }, null, 2)}\n`;
const author = { name: 'Seeder', email: 'seeder@example.org' };
const events = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 64 * 1024,
  descriptorUrl: (id: DatasetId, revision: string) => `http://api/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const nameOf = (index: number) => `ds-${String(index).padStart(5, '0')}`;

describe(`CatalogSync with GitHub at scale (${DATASETS} datasets)`, () => {
  let dataDir: string;
  let server: GitHubTestServer;
  let head: string;
  const catalog = new InMemoryCatalogStore();
  const watermarks = new InMemorySyncWatermarkStore();
  let seedMs = 0;

  const storage = () =>
    new GitHubStorage(
      parseGitHubStorageConfig({
        GITHUB_API_URL: server.url,
        GITHUB_TOKEN: TOKEN,
        GITHUB_OWNERS: `${OWNER},${SMALL_OWNER}`,
        GITHUB_WRITE_INTERVAL_MS: '0',
        GITHUB_RETRY_BASE_MS: '5',
      }),
    );
  /** One run as the CronJob makes it: a cold adapter, the catalog and watermarks as the last run left them. */
  const run = async (options: { full?: boolean } = {}) => {
    server.resetRequests();
    const summary = await new CatalogSync(storage(), catalog, { events, watermarks, concurrency: 8 }).reconcile(options);
    const counted = server.requests.filter((request) => request.rateLimited);
    const notModified = server.requests.filter((request) => request.status === 304);
    return { summary, counted: counted.length, notModified: notModified.length, requests: server.requests };
  };
  const writer = () => storage();

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'github-sync-scale-'));
    const started = Date.now();
    const oldest = Date.now() - 3 * 86_400_000;
    const seeded = await seedGitHubRepositories(
      dataDir,
      OWNER,
      Array.from({ length: DATASETS }, (_, index) => ({ name: nameOf(index), pushedAt: new Date(oldest + index * 1000) })),
      { files: [{ path: 'datapackage.json', content: DESCRIPTOR }], topics: ['metastore-dataset'], message: 'Seed', author },
    );
    head = seeded.head;
    server = await startGitHubTestServer({ dataDir });
    seedMs = Date.now() - started;
    // The catalog as a finished sync left it: a row per dataset at the seeded head, and the owner's watermark.
    const revision = { sha: head, parents: [], message: 'Seed', author, timestamp: seeded.committedAt.toISOString() };
    for (let index = 0; index < DATASETS; index += 1) {
      const id = { owner: OWNER, name: nameOf(index) };
      const entry = catalogEntryOf({
        id,
        backend: 'github',
        location: `${server.url}/${OWNER}/${id.name}`,
        head: revision,
        createdAt: seeded.committedAt,
        source: DESCRIPTOR,
      });
      await catalog.apply({ dataset: id, entry, descriptors: [{ revision: head, source: DESCRIPTOR }], replaceAllTags: [] });
    }
    const listing = await storage().listChangedDatasets(OWNER, undefined);
    expect(listing.complete).toHaveLength(DATASETS);
    await watermarks.put({ backend: 'github', owner: OWNER, value: listing.watermark, fullSyncAt: new Date(), updatedAt: new Date() });
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    // Seeding time, for whoever tunes the spec's size (the bench prints the sync's own figures).
    process.stdout.write(`seeded ${DATASETS} repositories and started the server in ${seedMs} ms\n`);
  }, 120_000);

  it('costs no counted request when nothing changed (two 304s per owner), and a new owner is synced in full once', async () => {
    // A second owner with no watermark yet: its first run compares every dataset (and stores its watermark).
    const fresh = writer();
    for (const name of ['alpha', 'beta']) {
      await fresh.createDataset(
        { owner: SMALL_OWNER, name },
        { files: [{ path: 'datapackage.json', content: DESCRIPTOR }], message: 'Create', author },
      );
    }
    const first = await run();
    expect(first.summary).toMatchObject({ datasets: 2, created: 2, failures: 0, fullOwners: 1, incrementalOwners: 1 });

    const quiet = await run();
    expect(quiet.summary).toMatchObject({ datasets: 0, changed: 0, failures: 0, fullOwners: 0, incrementalOwners: 2 });
    expect(quiet.counted).toBeLessThanOrEqual(10);
    expect(quiet.counted).toBe(0);
    // The first page of each owner's listing, and the last page of the large one (one page for the small owner).
    expect(quiet.notModified).toBe(3);
    expect(quiet.requests.every((request) => request.path.endsWith('/repos'))).toBe(true);
    expect(server.violations).toEqual([]);
  }, 120_000);

  it('with 1% pushed to and one new dataset, compares only those: requests grow with the changes, not with the datasets', async () => {
    const changed = Array.from({ length: Math.max(1, Math.floor(DATASETS / 100)) }, (_, index) => nameOf(index * 100 + 7));
    const github = writer();
    for (const name of changed) {
      const id = { owner: OWNER, name };
      await github.commit(id, {
        parent: head,
        changes: [{ path: 'datapackage.json', content: DESCRIPTOR.replace('Seeded dataset', `Changed ${name}`) }],
        message: `Change ${name}`,
        author,
      });
    }
    await github.createDataset(
      { owner: OWNER, name: 'brand-new' },
      { files: [{ path: 'datapackage.json', content: DESCRIPTOR }], message: 'Create', author },
    );

    const result = await run();
    expect(result.summary).toMatchObject({ changed: changed.length + 1, created: 1, failures: 0 });
    // GitHub's pushed_at has whole seconds: the repository pushed in the watermark's second is compared again (it finds nothing).
    expect(result.summary.datasets).toBeGreaterThanOrEqual(changed.length + 1);
    expect(result.summary.datasets).toBeLessThanOrEqual(changed.length + 2);
    expect(result.summary.updated).toBe(changed.length);
    // Per changed dataset: its head, history page, descriptor and tags (4); plus the listing pages down to the watermark and the last.
    expect(result.counted).toBeLessThanOrEqual(4 * (changed.length + 2) + Math.ceil((changed.length + 1) / 100) + 2);
    const titles = changed.slice(0, 3).map((name) => catalog.entries.get(`${OWNER}/${name}`)?.title);
    expect(titles).toEqual(changed.slice(0, 3).map((name) => `Changed ${name}`));

    const after = await run();
    expect(after.summary).toMatchObject({ datasets: 0, failures: 0 });
    expect(after.counted).toBe(0);
  }, 180_000);

  it('finds deleted datasets (the listing no longer adds up, so it is read whole once) and a force-push as rewritten history', async () => {
    const github = writer();
    await github.deleteDataset({ owner: OWNER, name: nameOf(3) });
    await github.deleteDataset({ owner: OWNER, name: nameOf(DATASETS - 2) });
    const deletedRun = await run();
    expect(deletedRun.summary).toMatchObject({ deleted: 2, failures: 0 });
    expect(catalog.entries.get(`${OWNER}/${nameOf(3)}`)?.deleted).toBe(true);
    // One full listing of the owner (100 repositories a page) besides its first and last pages, a head lookup per deleted dataset,
    // and the head and tags of those pushed in the watermark's second (the last run's latest pushes, whole seconds on GitHub).
    const listingPages = deletedRun.requests.filter((request) => request.rateLimited && request.path.endsWith('/repos')).length;
    expect(listingPages).toBeGreaterThanOrEqual(Math.ceil(DATASETS / 100) + 1);
    expect(listingPages).toBeLessThanOrEqual(Math.ceil(DATASETS / 100) + 2);
    expect(deletedRun.counted - listingPages).toBeLessThanOrEqual(2 + 2 * (Math.floor(DATASETS / 100) + 1));

    const octokit = new Octokit({ baseUrl: server.url, auth: TOKEN });
    const repo = { owner: OWNER, repo: nameOf(42) };
    const { data: tree } = await octokit.git.createTree({
      ...repo,
      tree: [{ path: 'datapackage.json', mode: '100644', type: 'blob', content: DESCRIPTOR.replace('Seeded', 'Rewritten') }],
    });
    const { data: commit } = await octokit.git.createCommit({ ...repo, message: 'Rewrite', tree: tree.sha, parents: [] });
    await octokit.git.updateRef({ ...repo, ref: 'heads/main', sha: commit.sha, force: true });
    const before = catalog.events.length;
    const rewritten = await run();
    expect(rewritten.summary).toMatchObject({ changed: 1, updated: 1, failures: 0 });
    // Besides it, those pushed in the watermark's second (whole seconds on GitHub): at most the last run's pushes, 2 requests each.
    const tiedAtMost = Math.floor(DATASETS / 100) + 1;
    expect(rewritten.summary.datasets).toBeLessThanOrEqual(1 + tiedAtMost);
    const event = catalog.events.slice(before).find((candidate) => candidate.subject === `${OWNER}/${nameOf(42)}`);
    expect(event?.data).toMatchObject({ oldRevision: head, newRevision: commit.sha, historyRewritten: true });
    expect(rewritten.counted).toBeLessThanOrEqual(10 + 2 * tiedAtMost);
  }, 180_000);
});
