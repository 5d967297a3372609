// Runs the GitHub REST API test server on its own:
//   npm run github-test-server -- --port 4010 [--host 127.0.0.1] [--data-dir DIR] [--latency-ms N]
//                                 [--authenticated-user LOGIN] [--rate-limit N] [--validate-responses]
//                                 [--app APP_ID=PUBLIC_KEY_PEM_FILE ...] [--installation-token-lifetime SECONDS]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nonNegativeInteger, STANDALONE_OPTIONS, standaloneServerOptions } from '@metastore/git-host-test-server';
import { startGitHubTestServer } from './github-test-server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...STANDALONE_OPTIONS,
      'authenticated-user': { type: 'string' },
      app: { type: 'string', multiple: true },
      'installation-token-lifetime': { type: 'string' },
    },
    strict: true,
  });
  const tokenLifetime = nonNegativeInteger('installation-token-lifetime', values['installation-token-lifetime']);
  const apps = (values.app ?? []).map((spec) => {
    const match = /^([1-9][0-9]*)=(.+)$/.exec(spec);
    if (!match) throw new Error(`--app must be APP_ID=PUBLIC_KEY_PEM_FILE, got "${spec}"`);
    return { id: Number(match[1]), publicKeyPem: readFileSync(match[2]!, 'utf8') };
  });
  const server = await startGitHubTestServer({
    ...standaloneServerOptions(values),
    ...(values['authenticated-user'] ? { authenticatedUser: values['authenticated-user'] } : {}),
    ...(apps.length > 0 ? { apps } : {}),
    ...(tokenLifetime !== undefined ? { installationTokenLifetimeSeconds: tokenLifetime } : {}),
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
