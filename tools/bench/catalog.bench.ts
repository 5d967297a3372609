/**
 * Catalog section of `npm run bench`: 100,000 synthetic datasets seeded into a fresh catalog database,
 * the API started on it, and each kind of `GET /api/v1/datasets` (first page, a page 500 pages in, owner,
 * a common and a rare keyword, a full-text word in every dataset, in one in twenty and in one, updatedSince)
 * driven with autocannon. The bench gathers no statistics itself: the catalog store does at start (as it must
 * where no autovacuum runs: the embedded database, or a server with autovacuum off). With a server database it
 * also prints the statistics the store left and PostgreSQL's plan summary for the adapter's search SQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateDatabase, startEmbeddedPostgres } from '@metastore/catalog-postgres';
import { seedCatalog } from '@metastore/catalog-postgres/testing';
import { benchDatabase, call, CONNECTIONS, DURATION_SECONDS, load, startApi, type ApiProcess, type LoadRow } from './harness';

const SEEDED = Number(process.env['BENCH_CATALOG_DATASETS'] ?? 100_000);
/** Seconds per query's load: `BENCH_CATALOG_DURATION`, else `BENCH_DURATION`. */
const DURATION = Number(process.env['BENCH_CATALOG_DURATION'] ?? DURATION_SECONDS);
/** Pages followed one at a time before the deep page's load: `BENCH_CATALOG_DEEP_PAGES`, 500. */
const DEEP_PAGES = Number(process.env['BENCH_CATALOG_DEEP_PAGES'] ?? 500);
const PAGE = 20;
/** In every seeded description ("... measurements of ..."): a search with far more matches than the store ranks. */
const COMMON_WORD = 'measurements';
/** A seeded topic: in about one dataset in twenty (still more matches than the store ranks, 1000 by default). */
const TOPIC_WORD = 'rainfall';
/** In one dataset only, created through the API. */
const RARE_WORD = 'svalbard';
const KEYWORD = 'wildfire';
/** The keyword of that one dataset. */
const RARE_KEYWORD = 'glaciology';
/** The seeder spreads updated_at over 7-minute steps from 2023-01-01: this leaves the newest tenth. */
const UPDATED_SINCE = new Date(Date.UTC(2023, 0, 1) + Math.floor(SEEDED * 0.9) * 7 * 60_000).toISOString();
/** The store's default `maxRankedMatches` (components/catalog-postgres/src/lib/postgres-catalog.adapter.ts). */
const MAX_RANKED_MATCHES = 1000;

/** The adapter's columns and search statements (components/catalog-postgres/src/lib/postgres-catalog.adapter.ts), with `$n` parameters. */
const COLUMNS = `owner, name, backend, location, head_revision AS "headRevision", title, description,
  keywords, licenses, resource_count AS "resourceCount", created_at AS "createdAt", updated_at AS "updatedAt", deleted`;
const FIELDS = `owner, name, backend, location, "headRevision", title, description,
  keywords, licenses, "resourceCount", "createdAt", "updatedAt", deleted`;
/**
 * A text search's first statement: ranks at most MAX_RANKED_MATCHES + 1 matches; more than the limit and the page comes from BY_KEY_TEXT.
 */
const RANKED = `SELECT ${FIELDS}, rank, matched FROM (
    SELECT m.*, ts_rank(m.search_vector, websearch_to_tsquery('english'::regconfig, $1))::float8 AS rank, count(*) OVER () AS matched
    FROM (
      SELECT ${COLUMNS}, search_vector FROM datasets d
      WHERE NOT d.deleted AND d.search_vector @@ websearch_to_tsquery('english'::regconfig, $1)
      LIMIT $2
    ) AS m
  ) AS ranked
  ORDER BY rank DESC, owner, name
  LIMIT $3`;
const BY_KEY_TEXT = `SELECT ${COLUMNS} FROM datasets d
  WHERE NOT d.deleted AND d.search_vector @@ websearch_to_tsquery('english'::regconfig, $1)
  ORDER BY d.owner, d.name LIMIT $2`;
const BY_KEYWORD = `SELECT d.* FROM dataset_keywords k
  CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM datasets d WHERE d.owner = k.owner AND d.name = k.name AND NOT d.deleted LIMIT 1) d
  WHERE k.keyword = $1
  ORDER BY k.owner, k.name LIMIT $2`;
const EXPLAINED: readonly { readonly query: string; readonly sql: string; readonly values: readonly unknown[] }[] = [
  ...[COMMON_WORD, TOPIC_WORD, RARE_WORD].flatMap((word) => [
    {
      query: `q=${word}, ranked (at most ${MAX_RANKED_MATCHES + 1} matches)`,
      sql: RANKED,
      values: [word, MAX_RANKED_MATCHES + 1, PAGE + 1],
    },
    ...(word === RARE_WORD ? [] : [{ query: `q=${word}, then (owner, name) order`, sql: BY_KEY_TEXT, values: [word, PAGE + 1] }]),
  ]),
  ...[KEYWORD, RARE_KEYWORD].map((keyword) => ({ query: `keyword=${keyword}`, sql: BY_KEYWORD, values: [keyword, PAGE + 1] })),
  {
    query: `updatedSince=${UPDATED_SINCE}`,
    sql: `SELECT ${COLUMNS} FROM datasets d WHERE NOT d.deleted AND d.updated_at >= $1 ORDER BY d.owner, d.name LIMIT $2`,
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
    const autovacuum = (await client.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0]?.autovacuum;
    const analysed = await client.query<{ relname: string; reltuples: number; analyses: string; autoanalyses: string }>(
      `SELECT c.relname, c.reltuples::float8 AS reltuples, s.analyze_count AS analyses, s.autoanalyze_count AS autoanalyses
       FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname IN ('datasets', 'dataset_keywords') ORDER BY 1`,
    );
    console.log(
      `\nstatistics (autovacuum ${autovacuum}): ${analysed.rows.map((row) => `${row.relname} ${row.reltuples} rows, analysed ${row.analyses} times by the store, ${row.autoanalyses} by autovacuum`).join('; ')}`,
    );
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

/**
 * Seeds the catalog (rows and their dataset_keywords); returns seconds spent. No ANALYZE: the API's catalog store finds
 * the tables without statistics when it starts, and gathers them.
 */
async function seed(url: string): Promise<number> {
  const started = performance.now();
  const inserted = await seedCatalog(url, SEEDED, { prefix: 'bench' });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `seeded ${inserted} datasets in ${seconds.toFixed(1)} s (${(inserted / seconds).toFixed(0)} rows/s); statistics left to the catalog store`,
  );
  return seconds;
}

interface CatalogRow extends LoadRow {
  readonly rows: number;
}

async function measure(apiUrl: string, operation: string, query: string): Promise<CatalogRow> {
  const url = `${apiUrl}/api/v1/datasets?${query}`;
  const page = await call('GET', url);
  return { ...(await load(operation, { url, duration: DURATION })), rows: (page['items'] as unknown[]).length };
}

/** Runs the catalog section and prints its table. */
export async function runCatalogBench(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-catalog-'));
  const database = await benchDatabase();
  let api: ApiProcess | undefined;
  try {
    console.log(`\nCatalog: ${SEEDED} seeded datasets, ${CONNECTIONS} connections, ${DURATION}s per query; catalog: ${database.label}\n`);
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
      descriptor: {
        name: 'glaciers',
        title: 'Glacier mass balance in Svalbard',
        keywords: [RARE_KEYWORD],
        resources: [{ name: 'mass', path: 'mass.csv' }],
      },
    });

    let cursor: string | undefined;
    const pagingStarted = performance.now();
    for (let page = 0; page < DEEP_PAGES; page += 1) {
      cursor = (await call('GET', `${apiUrl}/api/v1/datasets?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`))['nextCursor'] as string;
    }
    const pagingMs = performance.now() - pagingStarted;

    const first = await measure(apiUrl, `list, first page (limit=${PAGE})`, `limit=${PAGE}`);
    const deep = await measure(
      apiUrl,
      `list, page ${DEEP_PAGES + 1} (cursor after ${DEEP_PAGES * PAGE} rows)`,
      `limit=${PAGE}&cursor=${cursor}`,
    );
    const owner = await measure(apiUrl, 'owner=bench-7 (1 in 50)', `limit=${PAGE}&owner=bench-7`);
    const keyword = await measure(apiUrl, `keyword=${KEYWORD} (1 in 20)`, `limit=${PAGE}&keyword=${KEYWORD}`);
    const rareKeyword = await measure(apiUrl, `keyword=${RARE_KEYWORD} (one dataset)`, `limit=${PAGE}&keyword=${RARE_KEYWORD}`);
    const common = await measure(apiUrl, `q=${COMMON_WORD} (every dataset)`, `limit=${PAGE}&q=${COMMON_WORD}`);
    const topic = await measure(apiUrl, `q=${TOPIC_WORD} (1 in 20)`, `limit=${PAGE}&q=${TOPIC_WORD}`);
    const rare = await measure(apiUrl, `q=${RARE_WORD} (one dataset)`, `limit=${PAGE}&q=${RARE_WORD}`);
    const since = await measure(apiUrl, `updatedSince=${UPDATED_SINCE} (newest tenth)`, `limit=${PAGE}&updatedSince=${UPDATED_SINCE}`);

    console.log(
      `\nfollowed ${DEEP_PAGES} pages of ${PAGE} with cursors, one at a time: ${(pagingMs / 1000).toFixed(1)} s (${(pagingMs / DEEP_PAGES).toFixed(1)} ms per page)\n`,
    );
    console.log('| query | requests | req/s | p50 ms | p99 ms | rows returned | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const row of [first, deep, owner, keyword, rareKeyword, common, topic, rare, since]) {
      console.log(
        `| ${row.operation} | ${row.requests} | ${row.throughput.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.rows} | ${row.errors} |`,
      );
    }
    const ratio = (row: CatalogRow) =>
      `p50 ${(row.p50 / Math.max(first.p50, 1)).toFixed(2)}x, req/s ${(row.throughput / first.throughput).toFixed(2)}x`;
    console.log(
      `\nagainst the first page: deep page ${ratio(deep)}; owner ${ratio(owner)}; keyword ${ratio(keyword)}; rare keyword ${ratio(rareKeyword)};`,
    );
    console.log(`  q common ${ratio(common)}; q topic ${ratio(topic)}; q rare ${ratio(rare)}; updatedSince ${ratio(since)}`);

    if (database.url) await explain(database.url);
    else
      console.log('\n(EXPLAIN skipped: the embedded database serves one connection, which the API holds; set DATABASE_URL for a server)');
  } finally {
    await api?.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
