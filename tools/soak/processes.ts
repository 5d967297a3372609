/**
 * The soak's child processes: the built API (started, killed with SIGKILL, restarted on the same port, data
 * directory and database) and one run of the sync worker. Their logs go to files in the soak's directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Variables of the soak's own environment a child must not inherit: it gets exactly what the soak says. */
const INHERITED_EXCLUDED = /^(DATABASE_URL|REDIS_URL|STORAGE|LOG_LEVEL|PORT|HOST|SYNC_.*|METASTORE_.*|GITHUB_.*)$/;

/** The soak's environment minus the variables above, plus `env`. */
function childEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INHERITED_EXCLUDED.test(name)));
  return { ...inherited, ...env };
}

/** A TCP port on loopback nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The API as a child process the soak can kill and start again; same port, data directory and database each time. */
export class ApiProcess {
  /** Where it answers. */
  readonly url: string;
  /** Starts made (the first included). */
  starts = 0;
  private child: ChildProcess | undefined;

  constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the API and waits until `/readyz` answers 200; a process that exits first is started again (five tries). */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const child = this.spawn();
      if (await this.ready(child, readyTimeoutMs)) return;
      await this.terminate(child, 'SIGKILL');
      if (attempt >= 5) throw new Error(`the API did not become ready after ${attempt} starts; see ${this.logFile}`);
      await sleep(500);
    }
  }

  /** SIGKILL, as a crash or the OOM killer would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child) await this.terminate(this.child, 'SIGKILL');
  }

  /** SIGTERM (graceful shutdown), then SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || exited(child)) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  }

  private spawn(): ChildProcess {
    const log = openSync(this.logFile, 'a');
    this.starts++;
    const child = spawn(process.execPath, ['dist/metadata-api/main.js'], {
      env: childEnvironment({ ...this.env, PORT: String(this.port), HOST: '127.0.0.1' }),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    return child;
  }

  private async ready(child: ChildProcess, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exited(child)) {
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.ok) return true;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    return false;
  }

  private async terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    if (exited(child)) return;
    const gone = once(child, 'exit');
    child.kill(signal);
    await gone;
  }
}

/** How one run of the sync worker ended, and its closing log line (the reconcile summary). */
export interface SyncWorkerRun {
  readonly exitCode: number | null;
  readonly summary?: Record<string, unknown>;
}

/** Runs the built sync worker once (`SYNC_MODE=once`) with `env`; its log is appended to `logFile`. */
export async function runSyncWorkerOnce(env: Record<string, string>, logFile: string): Promise<SyncWorkerRun> {
  const child = spawn(process.execPath, ['dist/sync-worker/main.js'], {
    env: childEnvironment({ ...env, SYNC_MODE: 'once' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  await appendFile(logFile, output);
  const finished = output
    .split('\n')
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        return parsed['msg'] === 'sync run finished' ? [parsed] : [];
      } catch {
        return [];
      }
    })
    .at(-1);
  return { exitCode, ...(finished ? { summary: finished } : {}) };
}
