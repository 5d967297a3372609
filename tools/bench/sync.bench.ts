/**
 * Sync section of `npm run bench` (`--only=sync`): what `metastore catalog sync` costs on GitHub as an owner grows to
 * N = 100, 1,000 and 10,000 datasets (`BENCH_SYNC_SIZES`, comma-separated), against the local GitHub API test server
 * (repositories seeded straight into its data directory) with `BENCH_SYNC_LATENCY_MS` (default 0) added per request.
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
import { GitHubStorage, parseGitHubStorageConfig } from '@metastore/storage-github';
import { seedGitHubRepositories, startGitHubTestServer, type GitHubTestServer } from '@metastore/storage-github/testing';

const SIZES = (process.env['BENCH_SYNC_SIZES'] ?? '100,1000,10000').split(',').map((size) => Number(size.trim()));
const FULL_MAX = Number(process.env['BENCH_SYNC_FULL_MAX'] ?? 1000);
const LATENCY_MS = Number(process.env['BENCH_SYNC_LATENCY_MS'] ?? 0);
const OWNER = 'bench-org';
const DESCRIPTOR = `${JSON.stringify({ name: 'seeded', title: 'Seeded dataset', resources: [{ name: 'r', path: 'data.csv' }] }, null, 2)}\n`;
const author = { name: 'Bench', email: 'bench@example.org' };
const events = {
  source: 'urn:metastore:bench',
  maxDescriptorBytes: 64 * 1024,
  descriptorUrl: (id: DatasetId, revision: string) => `http://bench/datasets/${id.owner}/${id.name}?ref=${revision}`,
};
const nameOf = (index: number) => `ds-${String(index).padStart(5, '0')}`;

interface SyncRow {
  readonly datasets: number;
  readonly run: string;
  readonly compared: number;
  readonly requests: number;
  readonly counted: number;
  readonly notModified: number;
  readonly ms: number;
}

/** Measures the runs for one owner size; answers its rows. */
async function measure(size: number): Promise<SyncRow[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-sync-bench-'));
  let server: GitHubTestServer | undefined;
  try {
    const oldest = Date.now() - 3 * 86_400_000;
    const seedStart = performance.now();
    const seeded = await seedGitHubRepositories(
      dataDir,
      OWNER,
      Array.from({ length: size }, (_, index) => ({ name: nameOf(index), pushedAt: new Date(oldest + index * 1000) })),
      { files: [{ path: 'datapackage.json', content: DESCRIPTOR }], topics: ['metastore-dataset'], message: 'Seed', author },
    );
    server = await startGitHubTestServer({ dataDir, validateResponses: false, rateLimit: 10_000_000 });
    const running = server;
    console.log(`  ${size} repositories seeded and served in ${Math.round(performance.now() - seedStart)} ms`);
    const storage = () =>
      new GitHubStorage(
        parseGitHubStorageConfig({
          GITHUB_API_URL: running.url,
          GITHUB_TOKEN: 'bench',
          GITHUB_OWNERS: OWNER,
          GITHUB_WRITE_INTERVAL_MS: '0',
        }),
      );
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
      for (let index = 0; index < size; index += 1) {
        const id = { owner: OWNER, name: nameOf(index) };
        const entry = catalogEntryOf({
          id,
          backend: 'github',
          location: `${running.url}/${OWNER}/${id.name}`,
          head: revision,
          createdAt: seeded.committedAt,
          source: DESCRIPTOR,
        });
        await catalog.apply({ dataset: id, entry, descriptors: [{ revision: seeded.head, source: DESCRIPTOR }], replaceAllTags: [] });
      }
      const listing = await storage().listChangedDatasets(OWNER, undefined);
      const now = new Date();
      await watermarks.put({ backend: 'github', owner: OWNER, value: listing.watermark, fullSyncAt: now, updatedAt: now });
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
    await run('nothing changed again');
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
    `\nSync at scale (CatalogSync on GitHub: cold adapter per run, watermark in the catalog; local GitHub API test server, +${LATENCY_MS} ms per request)\n`,
  );
  const rows: SyncRow[] = [];
  for (const size of SIZES) rows.push(...(await measure(size)));
  console.log('| datasets | run | compared | requests | counted by GitHub | 304s (free) | wall time |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.datasets.toLocaleString('en')} | ${row.run} | ${row.compared} | ${row.requests} | ${row.counted} | ${row.notModified} | ${Math.round(row.ms)} ms |`,
    );
  }
  console.log('\nBefore watermarks every run was a full one: 2 counted requests per unchanged dataset (about 20,000 at 10,000 datasets).');
}
