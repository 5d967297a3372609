/**
 * GitLab section of `npm run bench`: the GitHub section's storage operations through the GitLab adapter and gitbeaker,
 * against the local GitLab API test server with the same 50 ms added to every request, printed in one table beside
 * GitHub's figures (taken from this run's GitHub section when it ran, else measured now). GitLab counts a 304 against
 * its rate limit; GitHub does not.
 */
import { GitLabStorage, parseGitLabStorageConfig } from '@metastore/storage-gitlab';
import { startGitLabTestServer } from '@metastore/storage-gitlab/testing';
import { LATENCY_MS, measureStorageOperations, printSideBySide } from './git-host-bench';
import { gitHubRows } from './github.bench';

const ITERATIONS = Number(process.env['BENCH_GITLAB_ITERATIONS'] ?? 8);
const TOKEN = 'bench';
const ROOT_GROUP = 'metastore';

/** Runs the GitLab section and prints GitLab's figures beside GitHub's. */
export async function runGitLabBench(): Promise<void> {
  const server = await startGitLabTestServer({ latencyMs: LATENCY_MS, validateResponses: false, rateLimit: 1_000_000 });
  let rows;
  try {
    // The root group an operator makes once before setting GITLAB_ROOT_GROUP; owners become its subgroups on first use.
    const group = await fetch(`${server.url}/api/v4/groups`, {
      method: 'POST',
      headers: { 'private-token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: ROOT_GROUP, path: ROOT_GROUP }),
    });
    if (group.status !== 201) throw new Error(`GitLab test server: creating the root group answered ${group.status}`);
    const config = parseGitLabStorageConfig({ GITLAB_URL: server.url, GITLAB_TOKEN: TOKEN, GITLAB_ROOT_GROUP: ROOT_GROUP });
    rows = await measureStorageOperations(
      { server, storage: () => new GitLabStorage(config), iterations: ITERATIONS },
      `bench-${Date.now()}`,
    );
  } finally {
    await server.close();
  }
  const github = await gitHubRows();
  console.log(
    `\nGitLab beside GitHub (storage-gitlab through gitbeaker and storage-github through octokit, each on its local test server,` +
      ` +${LATENCY_MS} ms per request, ${ITERATIONS} runs each)\n`,
  );
  printSideBySide([
    { name: 'GitHub', rows: github },
    { name: 'GitLab', rows },
  ]);
  console.log(
    '\nrequests: answered by the test server, averaged over the runs, 304 revalidations among them; counted: against the' +
      ' rate limit (GitHub does not count a 304, GitLab does). "create, new owner" includes making the owner' +
      ' (GitLab: a subgroup of the root group).',
  );
}
