// Rolling restarts without failed requests, shown with real processes (no Docker engine here): two API processes
// (dist/metadata-api) on one PostgreSQL database and one data directory, behind Caddy running docker/Caddyfile (the
// compose stack's proxy, its upstreams pointed at the local ports), and client loops reading and writing through the
// proxy while each API in turn gets SIGTERM, exits and is started again. Prints the counts; exits 1 if any request failed.
//   npm run build && node --import tsx tools/deploy-check/rolling-restart.ts
//   (DATABASE_URL: a server where it may create a database; `caddy` on the PATH: apt-get install caddy)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const root = path.resolve(__dirname, '..', '..');
const READERS = Number(process.env.ROLLING_READERS ?? 4);
const SETTLE_MS = Number(process.env.ROLLING_SETTLE_MS ?? 3000);

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function waitFor(url: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      if ((await fetch(url)).ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function main(): Promise<number> {
  try {
    execFileSync('caddy', ['version'], { stdio: 'ignore' });
  } catch {
    process.stderr.write('rolling-restart: caddy is not on the PATH (apt-get install caddy)\n');
    return 2;
  }
  const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const database = `metastore_rolling_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metastore-rolling-'));
  const children: ChildProcess[] = [];
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    METASTORE_DATA_DIR: dataDir,
    METASTORE_JWT_SECRET: randomBytes(32).toString('base64url'),
    METASTORE_WRITE_RATE_LIMIT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const ports = [await freePort(), await freePort()];
  const proxyPort = await freePort();
  const apis: ChildProcess[] = [];
  const startApi = async (index: number) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'metadata-api', 'main.js')], {
      env: { ...env, PORT: String(ports[index]) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    apis[index] = child;
    return waitFor(`http://127.0.0.1:${ports[index]}/readyz`, 120_000);
  };

  try {
    await startApi(0);
    await startApi(1);
    const caddy = spawn(
      'caddy',
      ['run', '--config', process.env.ROLLING_CADDYFILE ?? path.join(root, 'docker', 'Caddyfile'), '--adapter', 'caddyfile'],
      {
        env: {
          ...process.env,
          PROXY_LISTEN: `http://127.0.0.1:${proxyPort}`,
          METASTORE_UPSTREAMS: ports.map((port) => `127.0.0.1:${port}`).join(' '),
        },
        stdio: 'ignore',
      },
    );
    children.push(caddy);
    const proxy = `http://127.0.0.1:${proxyPort}`;
    await waitFor(`${proxy}/healthz`, 30_000);

    const token = execFileSync(
      process.execPath,
      [path.join(root, 'dist', 'cli', 'main.js'), 'token', '--sub', 'rolling', '--role', '*=admin'],
      {
        env,
        encoding: 'utf8',
      },
    ).trim();
    const headers = { Authorization: `Bearer ${token}` };
    const created = await fetch(`${proxy}/api/v1/datasets`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        owner: 'demo',
        name: 'rolling',
        descriptor: { name: 'rolling', resources: [{ name: 'r', path: 'r.csv' }] },
        message: 'start',
      }),
    });
    if (created.status !== 201) throw new Error(`creating the dataset answered ${created.status}: ${await created.text()}`);

    const statuses: Record<string, number> = {};
    const failures: string[] = [];
    let writes = 0;
    let running = true;
    const count = (kind: string, status: number | string) => {
      const key = `${kind} ${status}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (typeof status !== 'number' || status >= 400) failures.push(key);
    };
    const reader = async () => {
      while (running) {
        try {
          const response = await fetch(`${proxy}/api/v1/datasets/demo/rolling`, { headers });
          await response.arrayBuffer();
          count('GET', response.status);
        } catch (error) {
          count('GET', `error: ${(error as Error).message}`);
        }
      }
    };
    const writer = async () => {
      while (running) {
        writes += 1;
        try {
          const response = await fetch(`${proxy}/api/v1/datasets/demo/rolling?message=write%20${writes}`, {
            method: 'PATCH',
            headers: { ...headers, 'Content-Type': 'application/merge-patch+json' },
            body: JSON.stringify({ description: `write ${writes}` }),
          });
          await response.arrayBuffer();
          count('PATCH', response.status);
        } catch (error) {
          count('PATCH', `error: ${(error as Error).message}`);
        }
      }
    };
    const loops = [...Array.from({ length: READERS }, reader), writer()];

    const restarts: { api: number; drainMs: number; readyMs: number }[] = [];
    await sleep(SETTLE_MS);
    for (const index of [0, 1]) {
      const child = apis[index]!;
      const stopping = Date.now();
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      const drainMs = Date.now() - stopping;
      if (code !== 0) failures.push(`api ${index + 1} exited ${code} on SIGTERM`);
      const readyMs = await startApi(index);
      restarts.push({ api: index + 1, drainMs, readyMs });
      await sleep(SETTLE_MS);
    }
    running = false;
    await Promise.all(loops);

    const total = Object.values(statuses).reduce((sum, value) => sum + value, 0);
    process.stdout.write(`requests through the proxy: ${total} (${READERS} readers, 1 writer), failed: ${failures.length}\n`);
    for (const [key, value] of Object.entries(statuses).sort()) process.stdout.write(`  ${key}: ${value}\n`);
    for (const failure of new Set(failures.filter((key) => !(key in statuses)))) process.stdout.write(`  ${failure}\n`);
    for (const restart of restarts)
      process.stdout.write(`  api ${restart.api}: SIGTERM to exit ${restart.drainMs} ms, restart to ready ${restart.readyMs} ms\n`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rolling-restart: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
