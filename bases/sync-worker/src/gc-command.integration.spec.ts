import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { runCli } from './cli';

// A real, migrated catalog database (DATABASE_URL's server, a container or embedded PGlite).
jest.setTimeout(120_000);

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk), isTTY: false }, text: () => text };
}

async function gc(argv: string[], env: Record<string, string>) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(['catalog', 'gc', ...argv], { env, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const DAY = 86_400_000;

describe('metastore catalog gc, against PostgreSQL', () => {
  let database: TestDatabase;
  /** One statement on a connection of its own, closed before gc runs (the embedded database serves one connection at a time). */
  const client = {
    async query<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) {
      const connection = new pg.Client({ connectionString: database.url });
      await connection.connect();
      try {
        return await connection.query<Row>(text, values);
      } finally {
        await connection.end();
      }
    },
  };

  beforeAll(async () => {
    database = await databaseForTests();
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** One outbox row per entry: published `publishedDaysAgo` days ago, or never (null). */
  async function seedOutbox(entries: readonly { readonly name: string; readonly publishedDaysAgo: number | null }[]) {
    for (const entry of entries) {
      const publishedAt = entry.publishedDaysAgo === null ? null : new Date(Date.now() - entry.publishedDaysAgo * DAY);
      await client.query(
        `INSERT INTO outbox_events (event_id, owner, name, type, payload, created_at, published_at)
         VALUES ($1, 'acme', $2, 'dataset.updated', '{}', now() - interval '400 days', $3)`,
        [randomUUID(), entry.name, publishedAt],
      );
    }
  }
  const remaining = async () =>
    (await client.query<{ name: string }>('SELECT name FROM outbox_events ORDER BY sequence')).rows.map((row) => row.name);
  const revocations = async () =>
    (await client.query<{ token_id: string }>('SELECT token_id FROM revoked_tokens ORDER BY token_id')).rows.map((row) => row.token_id);

  it('deletes published events past retention and expired revocations, and keeps unpublished and recent ones', async () => {
    await client.query('DELETE FROM outbox_events');
    await seedOutbox([
      { name: 'old-published', publishedDaysAgo: 45 },
      { name: 'old-unpublished', publishedDaysAgo: null },
      { name: 'recent-published', publishedDaysAgo: 2 },
      { name: 'older-published', publishedDaysAgo: 31 },
    ]);
    await client.query(
      `INSERT INTO revoked_tokens (token_id, expires_at) VALUES ('expired', now() - interval '1 hour'), ('live', now() + interval '1 hour')`,
    );

    const run = await gc(['--json'], { DATABASE_URL: database.url, ...(database.poolSize ? { DATABASE_POOL_SIZE: '1' } : {}) });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'catalog gc', outboxEvents: 2, revokedTokens: 1 });
    expect(await remaining()).toEqual(['old-unpublished', 'recent-published']);
    expect(await revocations()).toEqual(['live']);

    // A second run finds nothing more; a shorter retention takes the recent one too.
    expect(JSON.parse((await gc(['--json'], { DATABASE_URL: database.url })).stdout)).toMatchObject({ outboxEvents: 0, revokedTokens: 0 });
    const shorter = await gc(['--outbox-days', '1'], { DATABASE_URL: database.url });
    expect(shorter.stdout).toMatch(/^catalog gc: 1 outbox events published before .+, 0 expired revocations deleted\n$/);
    expect(await remaining()).toEqual(['old-unpublished']);
  });

  it('deletes in batches until none is left past retention', async () => {
    await client.query('DELETE FROM outbox_events');
    await client.query(
      `INSERT INTO outbox_events (event_id, owner, name, type, payload, published_at)
       SELECT gen_random_uuid(), 'acme', 'bulk-' || n, 'dataset.updated', '{}', now() - interval '60 days' FROM generate_series(1, 12001) AS n`,
    );
    const run = await gc(['--json'], { DATABASE_URL: database.url });
    expect(JSON.parse(run.stdout)).toMatchObject({ outboxEvents: 12001 });
    expect(await remaining()).toEqual([]);
  });

  it('refuses a bad retention and a missing DATABASE_URL with exit code 2, touching nothing', async () => {
    await seedOutbox([{ name: 'kept', publishedDaysAgo: 90 }]);
    const zero = await gc(['--outbox-days', '0'], { DATABASE_URL: database.url });
    expect(zero).toMatchObject({ code: 2, stdout: '' });
    expect(zero.stderr).toContain('--outbox-days must be whole days');
    const embedded = await gc([], { METASTORE_DATA_DIR: '/nonexistent' });
    expect(embedded).toMatchObject({ code: 2, stdout: '' });
    expect(embedded.stderr).toContain('DATABASE_URL is not set');
    expect(await remaining()).toContain('kept');
  });

  it('exits 1 with the cause when the database cannot be reached', async () => {
    const url = new URL(database.url);
    url.port = '1';
    url.hostname = '127.0.0.1';
    const run = await gc([], { DATABASE_URL: url.toString() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^metastore catalog gc failed: /);
  });
});
