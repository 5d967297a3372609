import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { DEFAULT_PRISMA_CONFIG_PATH, migrateDatabase } from '../lib/migrate';
import { withClient } from './pg-client';

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
