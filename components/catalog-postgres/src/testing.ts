import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { DEFAULT_PRISMA_CONFIG_PATH, migrateDatabase } from './lib/migrate';

/** A migrated, empty catalog database for one test file, and how to get rid of it. */
export interface TestDatabase {
  readonly url: string;
  /** Where it runs: a database on the server of `DATABASE_URL`, a testcontainers PostgreSQL, or embedded PGlite. */
  readonly kind: 'server' | 'container' | 'embedded';
  /** The pool size to use: 1 for the embedded database (one connection at a time), else undefined (the default). */
  readonly poolSize?: number;
  /** Drops the database (or stops the embedded one and deletes its files). */
  drop(): Promise<void>;
}

/** Where `databaseForTests` finds a server; defaults to the environment. */
export interface TestDatabaseOptions {
  /** A PostgreSQL server whose user may create databases; default `process.env.DATABASE_URL`. */
  readonly serverUrl?: string;
}

const MIGRATIONS_DIR = path.join(path.dirname(DEFAULT_PRISMA_CONFIG_PATH), 'prisma', 'migrations');
/** Serialises template creation across Jest workers and concurrent runs on one server. */
const TEMPLATE_LOCK_KEY = 0x4d53544d504cn;

/** A short hash of every committed migration: a changed migration gets a new template. */
async function migrationsHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of (await readdir(MIGRATIONS_DIR)).sort()) {
    const file = path.join(MIGRATIONS_DIR, entry, 'migration.sql');
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (exists) hash.update(entry).update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 12);
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Connects, retrying briefly: the embedded server turns a connection away until it has noticed the previous one close. */
async function connect(url: string): Promise<pg.Client> {
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const templates = new Map<string, Promise<string>>();

/**
 * The name of a template database on the server holding every migration, made once per server and set of
 * migrations (under an advisory lock, so parallel Jest workers wait for one another rather than race).
 */
function migratedTemplate(serverUrl: string): Promise<string> {
  let template = templates.get(serverUrl);
  if (!template) {
    template = makeTemplate(serverUrl);
    templates.set(serverUrl, template);
    template.catch(() => templates.delete(serverUrl));
  }
  return template;
}

async function makeTemplate(serverUrl: string): Promise<string> {
  const name = `metastore_catalog_template_${await migrationsHash()}`;
  await withClient(serverUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY.toString()]);
    try {
      const existing = await client.query<{ datistemplate: boolean }>('SELECT datistemplate FROM pg_database WHERE datname = $1', [name]);
      if (existing.rows[0]?.datistemplate) return;
      // A half-made one (a crashed run) goes. Templates of other migrations stay: another checkout may be using them.
      if (existing.rows.length > 0) await client.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${name}"`);
      await migrateDatabase(withDatabase(serverUrl, name));
      // Marking it a template is the last step: only a fully migrated database is ever one.
      await client.query(`ALTER DATABASE "${name}" IS_TEMPLATE true`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY.toString()]);
    }
  });
  return name;
}

async function serverDatabase(serverUrl: string, kind: 'server' | 'container'): Promise<TestDatabase> {
  const template = await migratedTemplate(serverUrl);
  const name = `metastore_test_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    url: withDatabase(serverUrl, name),
    kind,
    drop: () => withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

let container: Promise<string | undefined> | undefined;

/** The URL of a PostgreSQL container (started once per process), or undefined when no container runtime works. */
function containerServer(): Promise<string | undefined> {
  container ??= (async () => {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const started = await new PostgreSqlContainer('postgres:15-alpine').start();
      return started.getConnectionUri();
    } catch {
      return undefined;
    }
  })();
  return container;
}

let embeddedTemplate: Promise<string> | undefined;

/** A migrated PGlite data directory (made once per set of migrations, kept in the temp directory across runs), to copy from. */
function migratedEmbeddedTemplate(): Promise<string> {
  embeddedTemplate ??= (async () => {
    const target = path.join(os.tmpdir(), `metastore-pglite-template-${await migrationsHash()}`);
    const ready = await stat(path.join(target, 'PG_VERSION')).then(
      () => true,
      () => false,
    );
    if (ready) return target;
    const building = await mkdtemp(path.join(os.tmpdir(), 'metastore-pglite-building-'));
    const embedded = await startEmbeddedPostgres({ dataDir: building });
    try {
      await migrateDatabase(embedded.url);
    } finally {
      await embedded.close();
    }
    // rename is atomic: a parallel worker that finished first wins, and this copy is discarded.
    await rename(building, target).catch(() => rm(building, { recursive: true, force: true }));
    return target;
  })();
  embeddedTemplate.catch(() => {
    embeddedTemplate = undefined;
  });
  return embeddedTemplate;
}

async function embeddedDatabase(): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-pglite-'));
  await cp(await migratedEmbeddedTemplate(), dataDir, { recursive: true });
  const embedded = await startEmbeddedPostgres({ dataDir });
  return {
    url: embedded.url,
    kind: 'embedded',
    poolSize: 1,
    drop: async () => {
      await embedded.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh, migrated catalog database for one test file. With `DATABASE_URL` (a server whose user may create
 * databases): a new database copied from a migrated template. Without: a testcontainers PostgreSQL if a
 * container runtime works, else embedded PGlite in a temporary directory.
 */
export async function databaseForTests(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? process.env['DATABASE_URL'];
  if (serverUrl) return serverDatabase(serverUrl, 'server');
  const containerUrl = await containerServer();
  if (containerUrl) return serverDatabase(containerUrl, 'container');
  try {
    return await embeddedDatabase();
  } catch (error) {
    throw new Error(
      'no database for the catalog tests: set DATABASE_URL to a PostgreSQL server whose user may create databases ' +
        '(e.g. postgresql://postgres@127.0.0.1:5432/postgres), or provide a container runtime for testcontainers; ' +
        `the embedded PGlite fallback failed too: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Word lists for synthetic datasets: enough variety for realistic full-text and keyword selectivity. */
const SEED_TOPICS = [
  'rainfall',
  'temperature',
  'river discharge',
  'air quality',
  'soil moisture',
  'population',
  'crop yield',
  'electricity demand',
  'traffic counts',
  'bird migration',
  'sea level',
  'groundwater',
  'wildfire',
  'snow cover',
  'public transport',
  'household income',
  'hospital admissions',
  'school enrolment',
  'fish stocks',
  'wind speed',
];
const SEED_REGIONS = [
  'Norway',
  'Kenya',
  'Chile',
  'Bavaria',
  'Ontario',
  'Kerala',
  'Tasmania',
  'Andalusia',
  'Hokkaido',
  'Patagonia',
  'Scotland',
  'Ghana',
];
const SEED_CADENCES = ['Daily', 'Hourly', 'Monthly', 'Annual', 'Weekly'];
const SEED_LICENSES = ['CC-BY-4.0', 'CC0-1.0', 'ODC-By-1.0', 'ODbL-1.0'];

/**
 * Inserts `count` synthetic dataset rows in one statement (INSERT ... SELECT generate_series), for
 * benchmarks: owners `<prefix>-0` to `<prefix>-49`, varied titles, descriptions and keywords, with their
 * `dataset_keywords` rows (as `apply` writes them). Rows that exist are left alone. Returns how many were inserted.
 * Gathers no statistics: the store's maintenance does (`createCatalogDatabase`), or run ANALYZE.
 */
export async function seedCatalog(url: string, count: number, options: { prefix?: string } = {}): Promise<number> {
  const prefix = options.prefix ?? 'seed';
  return withClient(url, async (client) => {
    const result = await client.query<{ inserted: string }>(
      `WITH inserted AS (
       INSERT INTO datasets (owner, name, backend, location, head_revision, title, description, keywords, licenses,
                             resource_count, created_at, updated_at, deleted)
       SELECT $1 || '-' || (i % 50),
              'dataset-' || i,
              'local',
              $1 || '-' || (i % 50) || '/dataset-' || i || '.git',
              md5(i::text) || substr(md5((i + 1)::text), 1, 8),
              cadence || ' ' || topic || ' in ' || region,
              cadence || ' measurements of ' || topic || ' across ' || region || ', collected by station network ' || (i % 97) ||
                ' and published for reuse.',
              ARRAY[replace(topic, ' ', '-'), lower(region), lower(cadence)] || CASE WHEN i % 3 = 0 THEN ARRAY['open-data'] ELSE ARRAY[]::text[] END,
              ARRAY[($5::text[])[1 + i % 4]],
              1 + i % 12,
              timestamptz '2020-01-01' + (i % 1000) * interval '1 day',
              timestamptz '2023-01-01' + (i % 100000) * interval '7 minutes',
              false
       FROM generate_series(1, $6::int) AS i,
            -- hashint4 spreads the words independently of the owner (i % 50) and of each other.
            LATERAL (SELECT ($2::text[])[1 + (hashint4(i) & 2147483647) % cardinality($2::text[])] AS topic,
                            ($3::text[])[1 + (hashint4(i + 1000003) & 2147483647) % cardinality($3::text[])] AS region,
                            ($4::text[])[1 + (hashint4(i + 2000003) & 2147483647) % cardinality($4::text[])] AS cadence) AS words
       ON CONFLICT DO NOTHING
       RETURNING owner, name, keywords
       ),
       -- The keyword index of the rows just inserted (the foreign key is checked at the end of the statement).
       keywords AS (
         INSERT INTO dataset_keywords (keyword, owner, name)
         SELECT DISTINCT keyword, owner, name FROM inserted, unnest(keywords) AS keyword
       )
       SELECT count(*) AS inserted FROM inserted`,
      [prefix, SEED_TOPICS, SEED_REGIONS, SEED_CADENCES, SEED_LICENSES, count],
    );
    return Number(result.rows[0]?.inserted ?? 0);
  });
}
