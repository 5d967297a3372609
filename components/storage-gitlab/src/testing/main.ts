// Runs the GitLab REST API (v4) test server on its own:
//   npm run gitlab-test-server -- --port 4020 [--host 127.0.0.1] [--data-dir DIR] [--latency-ms N] [--username NAME]
//                                 [--rate-limit N_PER_MINUTE] [--project-deletion immediate|delayed] [--validate-responses]
// Any token is accepted (PRIVATE-TOKEN or Authorization: Bearer); the API is at <url>/api/v4.
import { parseArgs } from 'node:util';
import { startGitLabTestServer } from './gitlab-test-server';

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'latency-ms': { type: 'string' },
      username: { type: 'string' },
      'rate-limit': { type: 'string' },
      'project-deletion': { type: 'string' },
      'validate-responses': { type: 'boolean' },
    },
    strict: true,
  });
  const port = integer('port', values.port);
  const latencyMs = integer('latency-ms', values['latency-ms']);
  const rateLimit = integer('rate-limit', values['rate-limit']);
  const deletion = values['project-deletion'];
  if (deletion !== undefined && deletion !== 'immediate' && deletion !== 'delayed') {
    throw new Error(`--project-deletion must be immediate or delayed, got "${deletion}"`);
  }
  const server = await startGitLabTestServer({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(values.username ? { username: values.username } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(deletion ? { projectDeletion: deletion } : {}),
    validateResponses: values['validate-responses'] ?? false,
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
