import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CatalogSync } from '@metastore/catalog';
import { InMemoryCatalogStore, InMemorySyncWatermarkStore } from '@metastore/catalog/testing';
import type { DatasetId } from '@metastore/storage';
import { seedGitLabProjects, startGitLabTestServer, type GitLabTestServer } from '../testing';
import { ACTIVITY_GRANULARITY_MS } from './gitlab-change-listing';
import { GitLabStorage } from './gitlab.adapter';
import { parseGitLabStorageConfig } from './gitlab.config';

/**
 * A sync of a GitLab owner with a thousand datasets, at the GitLab test server over real HTTP, which moves
 * `last_activity_at` at most hourly as GitLab does: the projects are seeded straight into the server's data directory,
 * the catalog holds their rows and a watermark as a sync left them, and each run gets a fresh adapter (a CronJob starts
 * cold: only the watermark carries the listing's ETag over). GitLab counts 304s, so every request is counted here.
 */
const DATASETS = Number(process.env['METASTORE_SYNC_SCALE_DATASETS'] ?? 1_000);
const ROOT = 'metastore';
const OWNER = 'scale-group';
const TOKEN = 'glpat-scale';
const DESCRIPTOR = `${JSON.stringify({ name: 'seeded', title: 'Seeded dataset', resources: [{ name: 'r', path: 'data.csv' }] }, null, 2)}\n`;
const author = { name: 'Seeder', email: 'seeder@example.org' };
const events = {
  source: 'urn:metastore:test',
  maxDescriptorBytes: 64 * 1024,
  descriptorUrl: (id: DatasetId, revision: string) => `http://api/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const nameOf = (index: number) => `ds-${String(index).padStart(5, '0')}`;
const titled = (title: string) => DESCRIPTOR.replace('Seeded dataset', title);

describe(`CatalogSync with GitLab at scale (${DATASETS} datasets)`, () => {
  let dataDir: string;
  let server: GitLabTestServer;
  const catalog = new InMemoryCatalogStore();
  const watermarks = new InMemorySyncWatermarkStore();

  const storage = () =>
    new GitLabStorage(
      parseGitLabStorageConfig({ GITLAB_URL: server.url, GITLAB_TOKEN: TOKEN, GITLAB_ROOT_GROUP: ROOT, GITLAB_RETRY_BASE_MS: '5' }),
    );
  /** One run as the CronJob makes it: a cold adapter, the catalog and watermarks as the last run left them. */
  const run = async () => {
    server.resetRequests();
    const summary = await new CatalogSync(storage(), catalog, { events, watermarks, concurrency: 8 }).reconcile();
    const counted = server.requests.filter((request) => request.rateLimited);
    return { summary, counted: counted.length, requests: server.requests };
  };
  const listings = <T extends { readonly path: string }>(requests: readonly T[]) =>
    requests.filter((request) => request.path === 'GET /groups/:id/projects');
  const headOf = async (name: string) => storage().resolveRef({ owner: OWNER, name });
  const push = async (name: string, title: string) => {
    const id = { owner: OWNER, name };
    const gitlab = storage();
    await gitlab.commit(id, {
      parent: await gitlab.resolveRef(id),
      changes: [{ path: 'datapackage.json', content: titled(title) }],
      message: title,
      author,
    });
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gitlab-sync-scale-'));
    const oldest = Date.now() - 3 * 86_400_000;
    const seeded = await seedGitLabProjects(
      dataDir,
      `${ROOT}/${OWNER}`,
      Array.from({ length: DATASETS }, (_, index) => ({ path: nameOf(index), lastActivityAt: new Date(oldest + index * 1000) })),
      { files: [{ path: 'datapackage.json', content: DESCRIPTOR }], topics: ['metastore-dataset'], message: 'Seed', author },
    );
    // Unthrottled: the first run's 3,000 requests would outrun GitLab.com's 2,000 a minute.
    server = await startGitLabTestServer({ dataDir, activityIntervalMs: ACTIVITY_GRANULARITY_MS, rateLimit: 1_000_000 });
    // The first run has no watermark: it compares every dataset (3 requests each), fills the catalog and stores the watermark.
    const first = await run();
    expect(first.summary).toMatchObject({ datasets: DATASETS, created: DATASETS, failures: 0, fullOwners: 1 });
    expect(catalog.entries.get(`${OWNER}/${nameOf(0)}`)?.headRevision).toBe(seeded.head);
    expect(await watermarks.get('gitlab', OWNER)).toBeDefined();
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  afterEach(() => expect(server.violations).toEqual([]));

  it('costs two counted requests when nothing changed: the root group’s subgroups and the first page, a 304', async () => {
    const quiet = await run();
    expect(quiet.summary).toMatchObject({ datasets: 0, changed: 0, failures: 0, fullOwners: 0, incrementalOwners: 1 });
    expect(quiet.counted).toBeLessThanOrEqual(2);
    expect(quiet.requests.map((request) => `${request.path} ${request.status}`)).toEqual([
      'GET /groups/:id/subgroups 200',
      'GET /groups/:id/projects 304',
    ]);
  }, 120_000);

  it('with 1% pushed to, compares those (and, within GitLab’s hour, again next run): requests grow with the changes only', async () => {
    const changed = Array.from({ length: Math.max(1, Math.floor(DATASETS / 100)) }, (_, index) => nameOf(index * 100 + 7));
    for (const name of changed) await push(name, `Changed ${name}`);

    const result = await run();
    expect(result.summary).toMatchObject({ datasets: changed.length, changed: changed.length, updated: changed.length, failures: 0 });
    // The listing's first page holds them all; per changed dataset its head, history, descriptor and tags.
    expect(listings(result.requests)).toHaveLength(1);
    expect(result.counted).toBeLessThanOrEqual(2 + 5 * changed.length);
    const titles = changed.slice(0, 3).map((name) => catalog.entries.get(`${OWNER}/${name}`)?.title);
    expect(titles).toEqual(changed.slice(0, 3).map((name) => `Changed ${name}`));

    // Nothing new, but those active within the hour are compared again (a push there would not move the listing).
    const after = await run();
    expect(after.summary).toMatchObject({ datasets: changed.length, changed: 0, failures: 0 });
    expect(listings(after.requests).map((request) => request.status)).toEqual([304]);
    expect(after.counted).toBeLessThanOrEqual(2 + 2 * changed.length);
  }, 180_000);

  it('finds a project pushed to again within GitLab’s hour, though its last_activity_at did not move', async () => {
    const name = nameOf(7);
    const firstEtag = async () =>
      (JSON.parse((await storage().listChangedDatasets(OWNER, undefined)).watermark) as { firstEtag: string }).firstEtag;
    const before = await firstEtag();
    await push(name, 'Pushed again within the hour');
    // The listing is byte for byte what it was (last_activity_at did not move), so its first page answers 304.
    expect(await firstEtag()).toBe(before);
    const result = await run();
    expect(listings(result.requests).map((request) => request.status)).toEqual([304]);
    expect(result.summary).toMatchObject({ changed: 1, updated: 1, failures: 0 });
    expect(catalog.entries.get(`${OWNER}/${name}`)?.title).toBe('Pushed again within the hour');
    expect(catalog.entries.get(`${OWNER}/${name}`)?.headRevision).toBe(await headOf(name));
  }, 120_000);

  it('finds a deleted project from the 304’s X-Total, reading the listing whole once', async () => {
    await storage().deleteDataset({ owner: OWNER, name: nameOf(3) });
    const deletedRun = await run();
    expect(deletedRun.summary).toMatchObject({ deleted: 1, failures: 0 });
    expect(catalog.entries.get(`${OWNER}/${nameOf(3)}`)?.deleted).toBe(true);
    // The conditional first page (304, one fewer project), then every page once.
    expect(listings(deletedRun.requests)).toHaveLength(1 + Math.ceil((DATASETS - 1) / 100));
    const settled = await run();
    expect(settled.summary).toMatchObject({ deleted: 0, changed: 0, failures: 0 });
  }, 180_000);
});
