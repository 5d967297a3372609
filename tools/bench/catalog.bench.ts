/**
 * Catalog section of `npm run bench`: 100,000 synthetic datasets seeded into a fresh catalog database,
 * the API started on it, and each kind of `GET /api/v1/datasets` (first page, a page 500 pages in, owner,
 * a common and a rare keyword, a common and a rare full-text word, updatedSince) driven with autocannon.
 * With a server database it also prints PostgreSQL's plan summary for the adapter's search SQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateDatabase, startEmbeddedPostgres } from '@metastore/catalog-postgres';
import { seedCatalog } from '@metastore/catalog-postgres/testing';
import { benchDatabase, call, CONNECTIONS, DURATION_SECONDS, load, startApi, type ApiProcess, type LoadRow } from './harness';

const SEEDED = Number(process.env['BENCH_CATALOG_DATASETS'] ?? 100_000);
const DEEP_PAGES = 500;
const PAGE = 20;
/** In every seeded description ("... measurements of ..."): a search whose every row must be ranked. */
const COMMON_WORD = 'measurements';
/** In one dataset only, created through the API. */
const RARE_WORD = 'svalbard';
const KEYWORD = 'wildfire';
/** The keyword of that one dataset. */
const RARE_KEYWORD = 'glaciology';
/** The seeder spreads updated_at over 7-minute steps from 2023-01-01: this leaves the newest tenth. */
const UPDATED_SINCE = new Date(Date.UTC(2023, 0, 1) + Math.floor(SEEDED * 0.9) * 7 * 60_000).toISOString();

/** The adapter's columns and search statements (components/catalog-postgres/src/lib/postgres-catalog.adapter.ts), with `$n` parameters. */
const COLUMNS = `owner, name, backend, location, head_revision AS "headRevision", title, description,
  keywords, licenses, resource_count AS "resourceCount", created_at AS "createdAt", updated_at AS "updatedAt", deleted`;
const EXPLAINED: readonly { readonly query: string; readonly sql: string; readonly values: readonly unknown[] }[] = [
  ...[COMMON_WORD, RARE_WORD].map((word) => ({
    query: `q=${word}`,
    sql: `SELECT * FROM (
            SELECT ${COLUMNS}, ts_rank(search_vector, query)::float8 AS rank
            FROM datasets, websearch_to_tsquery('english'::regconfig, $1) AS query
            WHERE NOT deleted AND search_vector @@ query
          ) AS ranked
          ORDER BY rank DESC, owner, name
          LIMIT $2`,
    values: [word, PAGE + 1],
  })),
  ...[KEYWORD, RARE_KEYWORD].map((keyword) => ({
    query: `keyword=${keyword}`,
    sql: `SELECT ${COLUMNS} FROM datasets WHERE NOT deleted AND keywords @> ARRAY[$1]::text[] ORDER BY owner, name LIMIT $2`,
    values: [keyword, PAGE + 1],
  })),
  {
    query: `updatedSince=${UPDATED_SINCE}`,
    sql: `SELECT ${COLUMNS} FROM datasets WHERE NOT deleted AND updated_at >= $1 ORDER BY owner, name LIMIT $2`,
    values: [new Date(UPDATED_SINCE), PAGE + 1],
  },
];

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Sort Method'?: string;
  readonly 'Actual Rows': number;
  readonly 'Actual Loops': number;
  readonly 'Rows Removed by Filter'?: number;
  readonly Plans?: readonly PlanNode[];
}

/** "Limit [21] > Index Scan on datasets_pkey [21, 43 filtered out]": each node with its rows (summed over parallel workers). */
function planShape(node: PlanNode): string {
  const loops = node['Actual Loops'];
  const filtered = node['Rows Removed by Filter'] ? `, ${node['Rows Removed by Filter'] * loops} filtered out` : '';
  const label =
    node['Node Type'] +
    (node['Sort Method'] ? ` (${node['Sort Method']})` : '') +
    (node['Index Name'] ? ` on ${node['Index Name']}` : '') +
    ` [${node['Actual Rows'] * loops}${filtered}]`;
  return [label, ...(node.Plans ?? []).map(planShape)].join(' > ');
}

function indexesOf(node: PlanNode): string[] {
  return [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexesOf)];
}

async function explain(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    console.log(`\nEXPLAIN (ANALYZE, FORMAT JSON) of the adapter's SQL, first page (LIMIT ${PAGE + 1})\n`);
    console.log('| query | planning ms | execution ms | index used | plan (actual rows) |');
    console.log('|---|---:|---:|---|---|');
    for (const { query, sql, values } of EXPLAINED) {
      const result = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Planning Time': number; 'Execution Time': number }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
        [...values],
      );
      const [summary] = result.rows[0]?.['QUERY PLAN'] ?? [];
      if (!summary) continue;
      const indexes = [...new Set(indexesOf(summary.Plan))];
      console.log(
        `| ${query} | ${summary['Planning Time'].toFixed(2)} | ${summary['Execution Time'].toFixed(2)} | ${indexes.join(', ') || 'none (sequential scan)'} | ${planShape(summary.Plan)} |`,
      );
    }
  } finally {
    await client.end();
  }
}

/** Seeds the catalog and refreshes the planner's statistics, as autovacuum would a little later; returns seconds spent seeding. */
async function seed(url: string): Promise<number> {
  const started = performance.now();
  const inserted = await seedCatalog(url, SEEDED, { prefix: 'bench' });
  const seconds = (performance.now() - started) / 1000;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const analyzeStarted = performance.now();
  await client.query('ANALYZE datasets');
  const analyzeMs = performance.now() - analyzeStarted;
  await client.end();
  console.log(`seeded ${inserted} datasets in ${seconds.toFixed(1)} s (${(inserted / seconds).toFixed(0)} rows/s); ANALYZE datasets ${analyzeMs.toFixed(0)} ms`);
  return seconds;
}

interface CatalogRow extends LoadRow {
  readonly rows: number;
}

async function measure(apiUrl: string, operation: string, query: string): Promise<CatalogRow> {
  const url = `${apiUrl}/api/v1/datasets?${query}`;
  const page = await call('GET', url);
  return { ...(await load(operation, { url })), rows: (page['items'] as unknown[]).length };
}

/** Runs the catalog section and prints its table. */
export async function runCatalogBench(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-catalog-'));
  const database = await benchDatabase();
  let api: ApiProcess | undefined;
  try {
    console.log(`\nCatalog: ${SEEDED} seeded datasets, ${CONNECTIONS} connections, ${DURATION_SECONDS}s per query; catalog: ${database.label}\n`);
    if (database.url) {
      await seed(database.url);
    } else {
      // The API's embedded database lives in <data dir>/catalog and serves one connection: seed it before the API opens it.
      const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'catalog') });
      try {
        await migrateDatabase(embedded.url);
        await seed(embedded.url);
      } finally {
        await embedded.close();
      }
    }
    api = await startApi({ dataDir, ...(database.url ? { databaseUrl: database.url } : {}) });
    const apiUrl = api.url;
    await call('POST', `${apiUrl}/api/v1/datasets`, {
      owner: 'bench-rare',
      name: 'glaciers',
      descriptor: { name: 'glaciers', title: 'Glacier mass balance in Svalbard', keywords: [RARE_KEYWORD], resources: [{ name: 'mass', path: 'mass.csv' }] },
    });

    let cursor: string | undefined;
    const pagingStarted = performance.now();
    for (let page = 0; page < DEEP_PAGES; page += 1) {
      cursor = (await call('GET', `${apiUrl}/api/v1/datasets?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`))['nextCursor'] as string;
    }
    const pagingMs = performance.now() - pagingStarted;

    const first = await measure(apiUrl, `list, first page (limit=${PAGE})`, `limit=${PAGE}`);
    const deep = await measure(apiUrl, `list, page ${DEEP_PAGES + 1} (cursor after ${DEEP_PAGES * PAGE} rows)`, `limit=${PAGE}&cursor=${cursor}`);
    const owner = await measure(apiUrl, 'owner=bench-7 (1 in 50)', `limit=${PAGE}&owner=bench-7`);
    const keyword = await measure(apiUrl, `keyword=${KEYWORD} (1 in 20)`, `limit=${PAGE}&keyword=${KEYWORD}`);
    const rareKeyword = await measure(apiUrl, `keyword=${RARE_KEYWORD} (one dataset)`, `limit=${PAGE}&keyword=${RARE_KEYWORD}`);
    const common = await measure(apiUrl, `q=${COMMON_WORD} (every dataset)`, `limit=${PAGE}&q=${COMMON_WORD}`);
    const rare = await measure(apiUrl, `q=${RARE_WORD} (one dataset)`, `limit=${PAGE}&q=${RARE_WORD}`);
    const since = await measure(apiUrl, `updatedSince=${UPDATED_SINCE} (newest tenth)`, `limit=${PAGE}&updatedSince=${UPDATED_SINCE}`);

    console.log(`\nfollowed ${DEEP_PAGES} pages of ${PAGE} with cursors, one at a time: ${(pagingMs / 1000).toFixed(1)} s (${(pagingMs / DEEP_PAGES).toFixed(1)} ms per page)\n`);
    console.log('| query | requests | req/s | p50 ms | p99 ms | rows returned | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const row of [first, deep, owner, keyword, rareKeyword, common, rare, since]) {
      console.log(`| ${row.operation} | ${row.requests} | ${row.throughput.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.rows} | ${row.errors} |`);
    }
    const ratio = (row: CatalogRow) => `p50 ${(row.p50 / Math.max(first.p50, 1)).toFixed(2)}x, req/s ${(row.throughput / first.throughput).toFixed(2)}x`;
    console.log(`\nagainst the first page: deep page ${ratio(deep)}; owner ${ratio(owner)}; keyword ${ratio(keyword)}; rare keyword ${ratio(rareKeyword)};`);
    console.log(`  q common ${ratio(common)}; q rare ${ratio(rare)}; updatedSince ${ratio(since)}`);

    if (database.url) await explain(database.url);
    else console.log('\n(EXPLAIN skipped: the embedded database serves one connection, which the API holds; set DATABASE_URL for a server)');
  } finally {
    await api?.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
