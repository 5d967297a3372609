import { parseArgs } from 'node:util';
import type { RebuildSummary, ReconcileSummary } from '@metastore/catalog';
import { ConfigurationError } from '@metastore/errors';
import { loadCliConfig, type CliConfig } from '@metastore/runtime';
import { createLogger, openDependencies, type CatalogJobDependencies, type DependencyOverrides } from './dependencies';
import { runGcCommand } from './gc-command';
import { runImportCommand } from './import-command';
import { progressReporter, type ProgressOutput } from './progress';
import { runTokenCommand } from './token-command';

/** Where the CLI reads its environment and writes: summaries to `stdout`, progress, logs and errors to `stderr`. */
export interface CliIo {
  readonly env: Record<string, string | undefined>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressOutput;
  /** Aborted on SIGINT/SIGTERM: the run stops after the datasets in flight. */
  readonly signal?: AbortSignal;
}

/** Exit codes: 0 done, 1 done with failures (or failed), 2 usage or configuration error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const USAGE = `Usage: metastore <command> [options]

Commands:
  token             Issue a bearer token for the API (metastore token --help).
  import PATH...    Create or update datasets from datapackage.json files (metastore import --help).
  catalog rebuild   Recompute every catalog row and tag set from storage, without events
                    (re-indexing is not news); rows of datasets gone from storage are marked deleted.
  catalog sync      Reconcile once: record what changed in storage behind the API's back
                    (pushes, missed writes, deletions) with its events, as the sync worker does.
  catalog gc        Delete published outbox events and revocations past retention (metastore catalog gc --help).

Options:
  --owner OWNER     Also look at this owner's datasets (repeatable); storage's owners
                    (GITHUB_OWNERS on GitHub) and the catalog's are always included.
  --full            catalog sync: compare every dataset, whatever the watermarks say (on
                    GitHub a sync otherwise compares only datasets pushed to since the last).
  --json            Print the summary as JSON.
  -h, --help        Show this help.

Configuration comes from the environment, as for the API and the sync worker: DATABASE_URL
(its migrations are applied first; unset: the API's embedded database in
METASTORE_DATA_DIR/catalog, which one process at a time may open: stop the API first),
STORAGE and its variables (METASTORE_DATA_DIR, GITHUB_*), METASTORE_PUBLIC_URL,
METASTORE_EVENT_DESCRIPTOR_LIMIT, METASTORE_PRISMA_CONFIG, LOG_LEVEL (default warn; logs go
to stderr).
`;

const COMMANDS = ['rebuild', 'sync'] as const;
type Command = (typeof COMMANDS)[number];

function describeRebuild(summary: RebuildSummary): string {
  return `catalog rebuilt: ${summary.datasets} datasets, ${summary.indexed} indexed, ${summary.deleted} marked deleted, ${summary.failures} failures`;
}

function describeSync(summary: ReconcileSummary, cost: RunCost): string {
  const requests = cost.apiCalls
    ? `, ${cost.apiCalls.requests} storage requests (${cost.apiCalls.counted} counted, ${cost.apiCalls.notModified} not modified)`
    : '';
  return `catalog synced: ${summary.datasets} datasets, ${summary.created} created, ${summary.updated} updated, ${summary.deleted} deleted, ${summary.tagChanges} tag changes, ${summary.failures} failures (${summary.fullOwners} owners in full, ${summary.incrementalOwners} from their watermark)${requests} in ${(cost.durationMs / 1000).toFixed(1)} s`;
}

/** What a run cost: its duration and the requests storage made meanwhile (when it counts them). */
interface RunCost {
  readonly durationMs: number;
  readonly apiCalls?: { readonly requests: number; readonly counted: number; readonly notModified: number };
}

/** Runs `metastore <argv>`; resolves to the process's exit code. */
export async function runCli(argv: readonly string[], io: CliIo, overrides: DependencyOverrides = {}): Promise<number> {
  if (argv[0] === 'token') return runTokenCommand(argv.slice(1), io);
  if (argv[0] === 'catalog' && argv[1] === 'gc') return runGcCommand(argv.slice(2), io);
  if (argv[0] === 'import') return runImportCommand(argv.slice(1), io, overrides);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        owner: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        full: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`metastore: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [group, command, ...rest] = positionals;
  if (group !== 'catalog' || !COMMANDS.includes(command as Command) || rest.length > 0) {
    io.stderr.write(`${positionals.length === 0 ? '' : `metastore: unknown command '${positionals.join(' ')}'\n\n`}${USAGE}`);
    return EXIT.usage;
  }

  let config: CliConfig;
  try {
    config = loadCliConfig(io.env);
  } catch (error) {
    io.stderr.write(`metastore: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  if (config.database.url === undefined && !overrides.database) {
    io.stderr.write(`metastore: DATABASE_URL is not set: using the embedded database in ${config.database.embeddedDir}\n`);
  }
  let dependencies: CatalogJobDependencies;
  try {
    // Migrations first: a rebuild into a new, empty database is how a lost catalog comes back, and it needs the tables.
    dependencies = await openDependencies(config, createLogger(config, { service: 'metastore-cli', fd: 2 }), overrides);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr.write(`metastore: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`metastore: catalog ${command} failed: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const progress = progressReporter(`catalog ${command}`, io.stderr);
  const options = {
    ...(values.owner ? { owners: values.owner } : {}),
    onProgress: progress.onProgress,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(values.full ? { full: true } : {}),
  };
  try {
    await Promise.all([dependencies.storage.checkReady(), dependencies.catalog.checkReady()]);
    const started = Date.now();
    const before = dependencies.storage.usage?.();
    const summary = command === 'rebuild' ? await dependencies.sync.rebuild(options) : await dependencies.sync.reconcile(options);
    progress.finish();
    const after = dependencies.storage.usage?.();
    const requests = before && after ? after.requests - before.requests : undefined;
    const notModified = before && after ? after.notModified - before.notModified : 0;
    const cost: RunCost = {
      durationMs: Date.now() - started,
      ...(requests !== undefined ? { apiCalls: { requests, counted: requests - notModified, notModified } } : {}),
    };
    const text = command === 'rebuild' ? describeRebuild(summary as RebuildSummary) : describeSync(summary as ReconcileSummary, cost);
    io.stdout.write(
      values.json ? `${JSON.stringify({ command: `catalog ${command}`, ...summary, ...(command === 'sync' ? cost : {}) })}\n` : `${text}\n`,
    );
    if (io.signal?.aborted) {
      io.stderr.write('metastore: interrupted; the summary covers the datasets done so far\n');
      return EXIT.failed;
    }
    return summary.failures === 0 ? EXIT.ok : EXIT.failed;
  } catch (error) {
    progress.finish();
    io.stderr.write(`metastore: catalog ${command} failed: ${(error as Error).message}\n`);
    return EXIT.failed;
  } finally {
    await dependencies.close();
  }
}
