import { parseArgs } from 'node:util';
import { collectCatalogGarbage } from '@metastore/catalog-postgres';
import { loadCliConfig } from '@metastore/runtime';
import type { CliIo } from './cli';

const USAGE = `Usage: metastore catalog gc [options]

Deletes catalog rows past their retention, in batches (a Kubernetes CronJob runs it daily):
  - outbox events published more than --outbox-days ago (never an unpublished one). The change feed
    (GET /api/v1/events?after=) replays only what is kept; a consumer that stopped for longer starts again
    from the oldest event kept;
  - revoked token ids whose token has expired (an expired token is refused anyway).

Needs DATABASE_URL (a PostgreSQL server); the embedded database is the API's while it runs.

Options:
  --outbox-days DAYS   Keep published events this many days (default 30, at least 1).
  --json               Print the summary as JSON.
  -h, --help           Show this help.
`;

/** `metastore catalog gc`: resolves to the exit code (0 done, 1 failed, 2 usage or configuration error). */
export async function runGcCommand(argv: readonly string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: { 'outbox-days': { type: 'string', default: '30' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr.write(`metastore catalog gc: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const days = Number(values['outbox-days']);
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    io.stderr.write('metastore catalog gc: --outbox-days must be whole days between 1 and 36500\n');
    return 2;
  }
  let url: string | undefined;
  try {
    url = loadCliConfig(io.env).database.url;
  } catch (error) {
    io.stderr.write(`metastore catalog gc: ${(error as Error).message}\n`);
    return 2;
  }
  if (url === undefined) {
    io.stderr.write('metastore catalog gc: DATABASE_URL is not set; gc needs the catalog on a PostgreSQL server\n');
    return 2;
  }
  try {
    const summary = await collectCatalogGarbage(url, new Date(now().getTime() - days * 86_400_000));
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ command: 'catalog gc', ...summary })}\n`
        : `catalog gc: ${summary.outboxEvents} outbox events published before ${summary.outboxCutoff}, ${summary.revokedTokens} expired revocations deleted\n`,
    );
    return 0;
  } catch (error) {
    // pg's messages name the server and the database, never the password.
    io.stderr.write(`metastore catalog gc failed: ${(error as Error).message}\n`);
    return 1;
  }
}
