/**
 * GitHub section of `npm run bench`: each storage operation through the real adapter and octokit,
 * against the local GitHub API test server with 50 ms added to every request, so round trips
 * dominate as they do against github.com. Prints requests per operation (those GitHub counts
 * against the rate limit, and 304 revalidations it does not) and latency.
 */
import { GitHubStorage, parseGitHubStorageConfig } from '@metastore/storage-github';
import { startGitHubTestServer } from '@metastore/storage-github/testing';
import { LATENCY_MS, measureStorageOperations, printHostTable, type HostRow } from './git-host-bench';

const ITERATIONS = Number(process.env['BENCH_GITHUB_ITERATIONS'] ?? 8);

let measured: Promise<HostRow[]> | undefined;

/** GitHub's rows, measured once per bench run (the GitLab section prints them beside its own). */
export function gitHubRows(): Promise<HostRow[]> {
  measured ??= (async () => {
    const server = await startGitHubTestServer({ latencyMs: LATENCY_MS, validateResponses: false, rateLimit: 1_000_000 });
    const storage = () =>
      new GitHubStorage(parseGitHubStorageConfig({ GITHUB_API_URL: server.url, GITHUB_TOKEN: 'bench', GITHUB_WRITE_INTERVAL_MS: '0' }));
    try {
      return await measureStorageOperations({ server, storage, iterations: ITERATIONS }, `bench-${Date.now()}`);
    } finally {
      await server.close();
    }
  })();
  return measured;
}

/** Runs the GitHub section and prints its table. */
export async function runGitHubBench(): Promise<void> {
  const rows = await gitHubRows();
  console.log(
    `\nGitHub backend (storage-github through octokit, local GitHub API test server, +${LATENCY_MS} ms per request, ${ITERATIONS} runs each)\n`,
  );
  printHostTable(rows, '304 revalidations (free)');
  console.log(
    '\nFor reference, metastore-lib: create 9-10, read at head 5, read at tag 8, update 8, tag create 6, tag list 3 + 3N requests.',
  );
}
