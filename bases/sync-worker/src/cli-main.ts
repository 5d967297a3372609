import { runCli } from './cli';

/** `metastore`: catalog maintenance commands (`metastore --help`). SIGINT/SIGTERM stop a run after the datasets in flight. */
async function main(): Promise<number> {
  const controller = new AbortController();
  const interrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  return runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
}

// Exit explicitly: an idle pool or client timer must not keep a finished command waiting.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`metastore: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
