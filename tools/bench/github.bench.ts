/**
 * GitHub section of `npm run bench`: each storage operation through the real adapter and octokit,
 * against the local GitHub API test server with 50 ms added to every request, so round trips
 * dominate as they do against github.com. Prints requests per operation (those GitHub counts
 * against the rate limit, and 304 revalidations it does not) and latency.
 */
import { DatasetService } from '@metastore/datasets';
import { GitHubStorage, parseGitHubStorageConfig } from '@metastore/storage-github';
import { startGitHubTestServer, type GitHubTestServer } from '@metastore/storage-github/testing';
import { TagService } from '@metastore/tags';

const LATENCY_MS = 50;
const ITERATIONS = Number(process.env['BENCH_GITHUB_ITERATIONS'] ?? 8);
const author = { name: 'Bench', email: 'bench@example.com' };

const descriptor = (title: string) => ({
  $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
  name: 'bench',
  title,
  licenses: [{ name: 'CC0-1.0' }],
  resources: Array.from({ length: 5 }, (_, index) => ({
    name: `part-${index}`,
    path: `data/part-${index}.csv`,
    bytes: 1000 + index,
    hash: `sha256:${String(index).repeat(64)}`,
  })),
});

interface Row {
  operation: string;
  counted: number;
  notModified: number;
  p50: number;
  max: number;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

async function measure(server: GitHubTestServer, operation: string, run: (iteration: number) => Promise<unknown>): Promise<Row> {
  const latencies: number[] = [];
  let counted = 0;
  let notModified = 0;
  for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
    server.resetRequests();
    const started = performance.now();
    await run(iteration);
    latencies.push(performance.now() - started);
    counted += server.requests.filter((request) => request.rateLimited).length;
    notModified += server.requests.filter((request) => request.status === 304).length;
  }
  return {
    operation,
    counted: counted / ITERATIONS,
    notModified: notModified / ITERATIONS,
    p50: percentile(latencies, 0.5),
    max: Math.max(...latencies),
  };
}

/** Runs the GitHub section and prints its table. */
export async function runGitHubBench(): Promise<void> {
  const server = await startGitHubTestServer({ latencyMs: LATENCY_MS, validateResponses: false, rateLimit: 1_000_000 });
  const config = (extra: Record<string, string> = {}) =>
    parseGitHubStorageConfig({ GITHUB_API_URL: server.url, GITHUB_TOKEN: 'bench', GITHUB_WRITE_INTERVAL_MS: '0', ...extra });
  const storage = new GitHubStorage(config());
  const datasets = new DatasetService({ storage });
  const tags = new TagService(storage);
  const owner = `bench-${Date.now()}`;
  const rows: Row[] = [];
  try {
    rows.push(
      await measure(server, 'create (7 files: descriptor, 5 LFS pointers, .gitattributes)', (i) =>
        datasets.create({ owner, name: `created-${i}` }, descriptor('v0'), { author }),
      ),
    );
    const id = { owner, name: 'subject' };
    const created = await datasets.create(id, descriptor('v0'), { author });
    await tags.create(id, { name: 'v0', ref: created.revision.sha, description: 'bench', author });
    rows.push(await measure(server, 'update (PATCH, unconditional)', (i) => datasets.patch(id, { title: `u${i}` }, { author })));
    rows.push(
      await measure(server, 'update (PATCH with If-Match: known head)', async (i) => {
        const head = await datasets.resolve(id);
        server.resetRequests();
        return datasets.patch(id, { title: `c${i}` }, { author, ifMatch: head });
      }),
    );
    rows.push(await measure(server, 'read at head (warm)', () => datasets.read(id)));
    rows.push(await measure(server, 'read at sha (warm)', () => datasets.read(id, created.revision.sha)));
    rows.push(await measure(server, 'read at tag (warm)', () => datasets.read(id, 'v0')));
    const cold = () => new DatasetService({ storage: new GitHubStorage(config()) });
    rows.push(await measure(server, 'read at head (cold adapter)', () => cold().read(id)));
    rows.push(await measure(server, 'read at sha (cold adapter)', () => cold().read(id, created.revision.sha)));
    rows.push(await measure(server, 'read at tag (cold adapter)', () => cold().read(id, 'v0')));
    rows.push(await measure(server, 'list revisions (page of 20)', () => storage.listRevisions(id, { limit: 20 })));
    rows.push(await measure(server, 'tag create', (i) => tags.create(id, { name: `t${i}`, description: 'bench', author })));
    rows.push(await measure(server, `tag list (${ITERATIONS + 1} tags, objects known)`, () => tags.list(id, { limit: 100 })));
    rows.push(
      await measure(server, `tag list (${ITERATIONS + 1} tags, cold adapter)`, () =>
        new TagService(new GitHubStorage(config())).list(id, { limit: 100 }),
      ),
    );
  } finally {
    await server.close();
  }
  console.log(
    `\nGitHub backend (storage-github through octokit, local GitHub API test server, +${LATENCY_MS} ms per request, ${ITERATIONS} runs each)\n`,
  );
  console.log('| operation | counted requests | 304 revalidations (free) | p50 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.operation} | ${row.counted.toFixed(1)} | ${row.notModified.toFixed(1)} | ${row.p50.toFixed(0)} | ${row.max.toFixed(0)} |`,
    );
  }
  console.log(
    '\nFor reference, metastore-lib: create 9-10, read at head 5, read at tag 8, update 8, tag create 6, tag list 3 + 3N requests.',
  );
}
