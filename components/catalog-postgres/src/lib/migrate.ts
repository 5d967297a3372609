import { execFile } from 'node:child_process';
import path from 'node:path';
import { StorageUnavailableError } from '@metastore/errors';
import { redactSecrets } from './database-errors';

/** Where the migrations are, for deployments that moved them (a bundled API): `prisma.config.ts` with `prisma/` beside it. */
export interface MigrateOptions {
  /** Defaults to this component's `prisma.config.ts` in the source tree. */
  readonly configPath?: string;
  /** Longest the migration may take (default 120 s). */
  readonly timeoutMs?: number;
}

/** This component's Prisma config in the source tree (src/lib → component root). */
export const DEFAULT_PRISMA_CONFIG_PATH = path.resolve(__dirname, '..', '..', 'prisma.config.ts');

/**
 * Applies the committed migrations to the database at `url` (`prisma migrate deploy`, in a child process).
 * Idempotent; concurrent callers serialise on Prisma's own advisory lock. Rejects with STORAGE_UNAVAILABLE.
 */
export async function migrateDatabase(url: string, options: MigrateOptions = {}): Promise<void> {
  const configPath = path.resolve(options.configPath ?? DEFAULT_PRISMA_CONFIG_PATH);
  const cli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
  // See the preload's header: without it every deploy idles ten seconds after finishing.
  const preload = path.join(path.dirname(configPath), 'prisma', 'unref-wasm-timers.cjs');
  const args = ['--require', preload, cli, 'migrate', 'deploy', '--config', configPath];
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: path.dirname(configPath),
        env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        const output = `${stderr}\n${stdout}`.trim().split('\n').slice(-12).join('\n');
        reject(new StorageUnavailableError(`applying the catalog migrations failed: ${redactSecrets(output, url)}`, { cause: error }));
      },
    );
  });
}
