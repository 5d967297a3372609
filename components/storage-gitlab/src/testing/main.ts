// Runs the GitLab REST API (v4) test server on its own:
//   npm run gitlab-test-server -- --port 4020 [--host 127.0.0.1] [--data-dir DIR] [--latency-ms N] [--username NAME]
//                                 [--rate-limit N_PER_MINUTE] [--project-deletion immediate|delayed] [--validate-responses]
// Any token is accepted (PRIVATE-TOKEN or Authorization: Bearer); the API is at <url>/api/v4.
import { parseArgs } from 'node:util';
import { STANDALONE_OPTIONS, standaloneServerOptions } from '@metastore/git-host-test-server';
import { startGitLabTestServer } from './gitlab-test-server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ...STANDALONE_OPTIONS, username: { type: 'string' }, 'project-deletion': { type: 'string' } },
    strict: true,
  });
  const deletion = values['project-deletion'];
  if (deletion !== undefined && deletion !== 'immediate' && deletion !== 'delayed') {
    throw new Error(`--project-deletion must be immediate or delayed, got "${deletion}"`);
  }
  const server = await startGitLabTestServer({
    ...standaloneServerOptions(values),
    ...(values.username ? { username: values.username } : {}),
    ...(deletion ? { projectDeletion: deletion } : {}),
  });
  console.log(`GitLab test server listening on ${server.url} (API at ${server.url}/api/v4)`);
  const stop = async () => {
    for (const violation of server.violations) console.error('schema violation:', JSON.stringify(violation));
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
