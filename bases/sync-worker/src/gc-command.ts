import { parseArgs } from 'node:util';
import pg from 'pg';
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

/** What one run deleted. */
export interface GcSummary {
  readonly outboxEvents: number;
  readonly revokedTokens: number;
  readonly outboxCutoff: string;
}

/** Rows deleted per statement: short transactions, so the relay and the API's writes never wait long on them. */
const BATCH = 5000;

/** Deletes published outbox events older than `cutoff` and expired revocations, in batches; returns the counts. */
export async function collectGarbage(client: pg.ClientBase, cutoff: Date): Promise<GcSummary> {
  let outboxEvents = 0;
  for (;;) {
    // Oldest first along the primary key: old published rows sit at the low sequences, so no batch scans the whole table.
    const result = await client.query(
      `DELETE FROM outbox_events WHERE sequence IN (
         SELECT sequence FROM outbox_events WHERE published_at IS NOT NULL AND published_at < $1 ORDER BY sequence LIMIT ${BATCH})`,
      [cutoff],
    );
    outboxEvents += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < BATCH) break;
  }
  const revoked = await client.query('DELETE FROM revoked_tokens WHERE expires_at < now()');
  return { outboxEvents, revokedTokens: revoked.rowCount ?? 0, outboxCutoff: cutoff.toISOString() };
}

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
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const summary = await collectGarbage(client, new Date(now().getTime() - days * 86_400_000));
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
  } finally {
    await client.end().catch(() => undefined);
  }
}
