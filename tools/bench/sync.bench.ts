/**
 * Sync section of `npm run bench` (`--only=sync`): what `metastore catalog sync` costs on GitHub and on GitLab as an owner
 * grows to N = 100, 1,000 and 10,000 datasets (`BENCH_SYNC_SIZES`, comma-separated; `BENCH_SYNC_HOSTS`, `github,gitlab`),
 * against the local GitHub and GitLab API test servers (repositories seeded straight into their data directories; the
 * GitLab one moves `last_activity_at` at most hourly, as GitLab does) with `BENCH_SYNC_LATENCY_MS` (default 0) added per request.
 * Each run is a CronJob's: a cold adapter, the catalog and the owner's watermark as the last run left them. Rows: a full
 * run (no watermark: every dataset compared and created; up to `BENCH_SYNC_FULL_MAX`, 1,000, as it takes minutes at
 * 10,000), then with nothing changed, with 1% pushed to, with one dataset deleted, and `--full` with nothing changed (what
 * every run cost before watermarks). The catalog is
 * the in-memory one (the database's share is a scan of its rows); requests are what GitHub would count, and 304s apart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CatalogSync, catalogEntryOf, type ReconcileSummary } from '@metastore/catalog';
import { InMemoryCatalogStore, InMemorySyncWatermarkStore } from '@metastore/catalog/testing';
import type { DatasetId } from '@metastore/storage';
import type { DatasetStorage } from '@metastore/storage';
import { GitHubStorage, parseGitHubStorageConfig } from '@metastore/storage-github';
import { seedGitHubRepositories, startGitHubTestServer } from '@metastore/storage-github/testing';
import { GitLabStorage, parseGitLabStorageConfig } from '@metastore/storage-gitlab';
import { seedGitLabProjects, startGitLabTestServer } from '@metastore/storage-gitlab/testing';

const SIZES = (process.env['BENCH_SYNC_SIZES'] ?? '100,1000,10000').split(',').map((size) => Number(size.trim()));
const HOSTS = (process.env['BENCH_SYNC_HOSTS'] ?? 'github,gitlab').split(',').map((host) => host.trim());
const FULL_MAX = Number(process.env['BENCH_SYNC_FULL_MAX'] ?? 1000);
const LATENCY_MS = Number(process.env['BENCH_SYNC_LATENCY_MS'] ?? 0);
const OWNER = 'bench-org';
/** GitLab's root group (owners are its subgroups). */
const GITLAB_ROOT = 'metastore';
/** GitLab's `Event::RESET_PROJECT_ACTIVITY_INTERVAL`: the GitLab test server moves `last_activity_at` at most this often. */
const GITLAB_ACTIVITY_INTERVAL_MS = 3_600_000;
const DESCRIPTOR = `${JSON.stringify({ name: 'seeded', title: 'Seeded dataset', resources: [{ name: 'r', path: 'data.csv' }] }, null, 2)}\n`;
const author = { name: 'Bench', email: 'bench@example.org' };
const events = {
  source: 'urn:metastore:bench',
  maxDescriptorBytes: 64 * 1024,
  descriptorUrl: (id: DatasetId, revision: string) => `http://bench/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const nameOf = (index: number) => `ds-${String(index).padStart(5, '0')}`;

/** The running test server of a host, as the bench drives it. */
interface RunningHost {
  readonly url: string;
  readonly requests: readonly { readonly status: number; readonly rateLimited: boolean }[];
  resetRequests(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** One git host of the bench: how its owner is seeded, its server started and its adapter made. */
interface SyncHost {
  readonly backend: 'github' | 'gitlab';
  readonly title: string;
  seed(dataDir: string, names: readonly string[], at: (index: number) => Date): Promise<{ head: string; committedAt: Date }>;
  start(dataDir: string): Promise<RunningHost>;
  storage(url: string): DatasetStorage & Required<Pick<DatasetStorage, 'listChangedDatasets'>>;
}

const seedContent = { files: [{ path: 'datapackage.json', content: DESCRIPTOR }], topics: ['metastore-dataset'], message: 'Seed', author };
const unthrottled = { validateResponses: false, rateLimit: 10_000_000 };

const HOST_DEFINITIONS: Record<string, SyncHost> = {
  github: {
    backend: 'github',
    title: 'GitHub',
    seed: (dataDir, names, at) =>
      seedGitHubRepositories(
        dataDir,
        OWNER,
        names.map((name, index) => ({ name, pushedAt: at(index) })),
        seedContent,
      ),
    start: (dataDir) => startGitHubTestServer({ dataDir, ...unthrottled }),
    storage: (url) =>
      new GitHubStorage(
        parseGitHubStorageConfig({ GITHUB_API_URL: url, GITHUB_TOKEN: 'bench', GITHUB_OWNERS: OWNER, GITHUB_WRITE_INTERVAL_MS: '0' }),
      ),
  },
  gitlab: {
    backend: 'gitlab',
    title: 'GitLab',
    seed: (dataDir, names, at) =>
      seedGitLabProjects(
        dataDir,
        `${GITLAB_ROOT}/${OWNER}`,
        names.map((name, index) => ({ path: name, lastActivityAt: at(index) })),
        seedContent,
      ),
    start: (dataDir) => startGitLabTestServer({ dataDir, activityIntervalMs: GITLAB_ACTIVITY_INTERVAL_MS, ...unthrottled }),
    storage: (url) =>
      new GitLabStorage(parseGitLabStorageConfig({ GITLAB_URL: url, GITLAB_TOKEN: 'bench', GITLAB_ROOT_GROUP: GITLAB_ROOT })),
  },
};

interface SyncRow {
  readonly host: string;
  readonly datasets: number;
  readonly run: string;
  readonly compared: number;
  readonly requests: number;
  readonly counted: number;
  readonly notModified: number;
  readonly ms: number;
}

/** Measures the runs for one host and owner size; answers its rows. */
async function measure(host: SyncHost, size: number): Promise<SyncRow[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-sync-bench-'));
  let server: RunningHost | undefined;
  try {
    const oldest = Date.now() - 3 * 86_400_000;
    const seedStart = performance.now();
    const names = Array.from({ length: size }, (_, index) => nameOf(index));
    const seeded = await host.seed(dataDir, names, (index) => new Date(oldest + index * 1000));
    server = await host.start(dataDir);
    const running = server;
    console.log(`  ${host.title}: ${size} repositories seeded and served in ${Math.round(performance.now() - seedStart)} ms`);
    const storage = () => host.storage(running.url);
    const catalog = new InMemoryCatalogStore();
    const watermarks = new InMemorySyncWatermarkStore();
    const rows: SyncRow[] = [];
    const run = async (label: string, options: { full?: boolean } = {}): Promise<ReconcileSummary> => {
      running.resetRequests();
      running.setLatency(LATENCY_MS);
      const started = performance.now();
      const summary = await new CatalogSync(storage(), catalog, { events, watermarks, concurrency: 8 }).reconcile(options);
      const ms = performance.now() - started;
      running.setLatency(0);
      const requests = running.requests;
      rows.push({
        host: host.title,
        datasets: size,
        run: label,
        compared: summary.datasets,
        requests: requests.length,
        counted: requests.filter((request) => request.rateLimited).length,
        notModified: requests.filter((request) => request.status === 304).length,
        ms,
      });
      if (summary.failures > 0) throw new Error(`sync bench: ${summary.failures} failures in '${label}'`);
      return summary;
    };

    if (size <= FULL_MAX) {
      await run('full (no watermark, as before)');
    } else {
      // The catalog as a full run leaves it, written directly: a row per dataset at the seeded head, and the owner's watermark.
      const revision = { sha: seeded.head, parents: [], message: 'Seed', author, timestamp: seeded.committedAt.toISOString() };
      const locator = storage();
      for (let index = 0; index < size; index += 1) {
        const id = { owner: OWNER, name: nameOf(index) };
        const entry = catalogEntryOf({
          id,
          backend: host.backend,
          location: locator.locationOf(id),
          head: revision,
          createdAt: seeded.committedAt,
          source: DESCRIPTOR,
        });
        await catalog.apply({ dataset: id, entry, descriptors: [{ revision: seeded.head, source: DESCRIPTOR }], replaceAllTags: [] });
      }
      const listing = await storage().listChangedDatasets(OWNER, undefined);
      const now = new Date();
      await watermarks.put({ backend: host.backend, owner: OWNER, value: listing.watermark, fullSyncAt: now, updatedAt: now });
    }
    await run('nothing changed');

    const writer = storage();
    const changed = Array.from({ length: Math.max(1, Math.floor(size / 100)) }, (_, index) => nameOf(index * 100 + 7));
    for (const name of changed) {
      await writer.commit(
        { owner: OWNER, name },
        {
          parent: seeded.head,
          changes: [{ path: 'datapackage.json', content: DESCRIPTOR.replace('Seeded dataset', `Changed ${name}`) }],
          message: 'change',
          author,
        },
      );
    }
    await run(`1% pushed to (${changed.length})`);
    await writer.deleteDataset({ owner: OWNER, name: nameOf(3) });
    await run('1 deleted (listing read whole)');
    // On GitLab the datasets active within the hour are compared again (a push there would not move last_activity_at).
    await run(host.backend === 'gitlab' ? 'nothing changed again (the 1% within the hour compared again)' : 'nothing changed again');
    if (size <= FULL_MAX) await run('--full, nothing changed (every run before)', { full: true });
    return rows;
  } finally {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs the sync section and prints its table. */
export async function runSyncBench(): Promise<void> {
  console.log(
    `\nSync at scale (CatalogSync: cold adapter per run, watermark in the catalog; local API test servers, +${LATENCY_MS} ms per request)\n`,
  );
  const rows: SyncRow[] = [];
  for (const name of HOSTS) {
    const host = HOST_DEFINITIONS[name];
    if (!host) throw new Error(`BENCH_SYNC_HOSTS: unknown host '${name}' (github, gitlab)`);
    for (const size of SIZES) rows.push(...(await measure(host, size)));
  }
  console.log('| host | datasets | run | compared | requests | counted by the host | 304s | wall time |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.host} | ${row.datasets.toLocaleString('en')} | ${row.run} | ${row.compared} | ${row.requests} | ${row.counted} | ${row.notModified} | ${Math.round(row.ms)} ms |`,
    );
  }
  console.log('\n304s are free on GitHub and counted on GitLab (its rate limiter counts requests before they are answered).');
  console.log('Before watermarks every run was a full one: 2 counted requests per unchanged dataset (about 20,000 at 10,000 datasets).');
}
