import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';

/** A Redis server for a test file; `stop()` ends it if this helper started it. */
export interface TestRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/** A `redis-server` child process on a local port; `stop()` kills it (as a crash would) and waits for it to exit. */
export interface RedisServerProcess extends TestRedis {
  readonly port: number;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`redis-server on port ${port} did not start within 10 s: ${output.slice(-500)}`)),
      10_000,
    );
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.once('error', (error) => fail(new Error(`could not run redis-server: ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`redis-server on port ${port} exited with ${code}: ${output.slice(-500)}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve();
      }
    });
  });
}

/**
 * Starts `redis-server` from PATH on `port` (a free one by default), keeping nothing on disk. Tests that stop
 * Redis on purpose start their own this way and never touch the shared server.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitForReady(child, port);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
