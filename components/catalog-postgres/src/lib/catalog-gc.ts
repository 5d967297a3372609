import pg from 'pg';

/** What one garbage collection of the catalog database deleted. */
export interface CatalogGcSummary {
  readonly outboxEvents: number;
  readonly revokedTokens: number;
  readonly outboxCutoff: string;
}

/** Rows deleted per statement: short transactions, so the relay and the API's writes never wait long on them. */
const BATCH = 5000;

/**
 * Deletes, on the catalog database at `url`, the outbox events published before `cutoff` (never an unpublished one) and
 * the revocations of expired tokens, in batches; returns the counts. For `metastore catalog gc` (a daily CronJob).
 */
export async function collectCatalogGarbage(url: string, cutoff: Date): Promise<CatalogGcSummary> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    let outboxEvents = 0;
    for (;;) {
      // Oldest first along the primary key: old published rows sit at the low sequences, so no batch scans the whole table.
      const result = await client.query(
        `DELETE FROM outbox_events WHERE sequence IN (
           SELECT sequence FROM outbox_events WHERE published_at IS NOT NULL AND published_at < $1 ORDER BY sequence LIMIT $2)`,
        [cutoff, BATCH],
      );
      outboxEvents += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < BATCH) break;
    }
    const revoked = await client.query('DELETE FROM revoked_tokens WHERE expires_at < now()');
    return { outboxEvents, revokedTokens: revoked.rowCount ?? 0, outboxCutoff: cutoff.toISOString() };
  } finally {
    await client.end().catch(() => undefined);
  }
}
