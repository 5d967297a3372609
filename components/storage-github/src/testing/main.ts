// Runs the GitHub REST API test server on its own:
//   npm run github-test-server -- --port 4010 [--host 127.0.0.1] [--data-dir DIR] [--latency-ms N]
//                                 [--authenticated-user LOGIN] [--rate-limit N] [--validate-responses]
//                                 [--app APP_ID=PUBLIC_KEY_PEM_FILE ...] [--installation-token-lifetime SECONDS]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startGitHubTestServer } from './github-test-server';

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
      'authenticated-user': { type: 'string' },
      'rate-limit': { type: 'string' },
      'validate-responses': { type: 'boolean' },
      app: { type: 'string', multiple: true },
      'installation-token-lifetime': { type: 'string' },
    },
    strict: true,
  });
  const latencyMs = integer('latency-ms', values['latency-ms']);
  const port = integer('port', values.port);
  const rateLimit = integer('rate-limit', values['rate-limit']);
  const tokenLifetime = integer('installation-token-lifetime', values['installation-token-lifetime']);
  const apps = (values.app ?? []).map((spec) => {
    const match = /^([1-9][0-9]*)=(.+)$/.exec(spec);
    if (!match) throw new Error(`--app must be APP_ID=PUBLIC_KEY_PEM_FILE, got "${spec}"`);
    return { id: Number(match[1]), publicKeyPem: readFileSync(match[2]!, 'utf8') };
  });
  const server = await startGitHubTestServer({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(values['authenticated-user'] ? { authenticatedUser: values['authenticated-user'] } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(apps.length > 0 ? { apps } : {}),
    ...(tokenLifetime !== undefined ? { installationTokenLifetimeSeconds: tokenLifetime } : {}),
    validateResponses: values['validate-responses'] ?? false,
  });
  console.log(`GitHub test server listening on ${server.url}`);
  const stop = async () => {
    for (const violation of server.violations) console.error('OpenAPI violation:', JSON.stringify(violation));
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
