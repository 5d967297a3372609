import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCatalogDatabase, type CatalogDatabase } from '@metastore/catalog-postgres';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { DESCRIPTOR_PATH } from '@metastore/datasets';
import { corpusEntries, corpusText } from '@metastore/datasets/testing';
import { LocalGitStorage, parseLocalGitStorageConfig } from '@metastore/storage-local';
import { runCli } from './cli';
import type { DependencyOverrides } from './dependencies';

// Real PostgreSQL (databaseForTests) and real git repositories on disk; the packages are from the datasets corpus.
jest.setTimeout(120_000);

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk), isTTY: false }, text: () => text };
}

/** Corpus entries by file name, each written to `<root>/<folder>/datapackage.json`. */
const PACKAGES = {
  gdp: 'gdp.json', // valid
  countries: 'example-data-packages--geo-countries.json', // valid with LEGACY_URL_PROPERTY
  numbers: 'derived--language-codes-numbers.json', // "version": 1.0, "x-rows": 200.0
  'no-name': 'frictionless-py--data--issue-869.json', // invalid (created, email); no name: the folder names it
} as const;

describe('metastore import, against PostgreSQL and git on disk', () => {
  let database: TestDatabase;
  let connection: CatalogDatabase;
  let dataDir: string;
  let root: string;
  let storage: LocalGitStorage;

  beforeEach(async () => {
    database = await databaseForTests();
    connection = createCatalogDatabase({ url: database.url, ...(database.poolSize ? { poolSize: database.poolSize } : {}) });
    dataDir = await mkdtemp(path.join(tmpdir(), 'metastore-import-'));
    root = path.join(dataDir, 'packages');
    storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: path.join(dataDir, 'git') }));
    const byFile = new Map(corpusEntries().map((entry) => [entry.file, entry]));
    for (const [folder, file] of Object.entries(PACKAGES)) {
      await mkdir(path.join(root, folder), { recursive: true });
      await writeFile(path.join(root, folder, DESCRIPTOR_PATH), corpusText(byFile.get(file)!));
    }
    await mkdir(path.join(root, 'broken'));
    await writeFile(path.join(root, 'broken', DESCRIPTOR_PATH), '{"name": "broken",');
    await mkdir(path.join(root, 'node_modules', 'x'), { recursive: true });
    await writeFile(path.join(root, 'node_modules', 'x', DESCRIPTOR_PATH), '{}');
  });
  afterEach(async () => {
    await connection.close();
    await Promise.allSettled([database.drop(), rm(dataDir, { recursive: true, force: true })]);
  });

  async function importCommand(argv: string[]) {
    const stdout = capture();
    const stderr = capture();
    const env = {
      DATABASE_URL: database.url,
      ...(database.poolSize ? { DATABASE_POOL_SIZE: String(database.poolSize) } : {}),
      METASTORE_DATA_DIR: path.join(dataDir, 'git'),
    };
    // The embedded fallback allows one connection: the command then shares the test's.
    const overrides: DependencyOverrides =
      database.kind === 'embedded'
        ? { database: { catalog: connection.catalog, outbox: connection.outbox, close: async () => undefined } }
        : {};
    const code = await runCli(['import', ...argv], { env, stdout: stdout.stream, stderr: stderr.stream }, overrides);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }
  const revisionsOf = async (name: string) => (await storage.listRevisions({ owner: 'acme', name }, { limit: 100 })).items.length;
  const eventCount = async () => (await connection.outbox.feed(undefined, 1000)).items.length;

  it('creates datasets from a folder of packages, says what it refused and why, and a rerun changes nothing', async () => {
    const first = await importCommand(['--owner', 'acme', '--json', root]);
    expect(first.code).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ command: 'import', created: 3, updated: 0, unchanged: 0, warned: 3, refused: 2 });
    expect(summary.warningCodes).toMatchObject({ LEGACY_URL_PROPERTY: 1, MISSING_ID: 3 });
    const refused = summary.packages.filter((outcome: { result: string }) => outcome.result === 'refused');
    expect(refused.map((outcome: { dataset?: string; reason: { code: string } }) => [outcome.dataset, outcome.reason.code])).toEqual([
      [undefined, 'INVALID_JSON'],
      ['acme/no-name', 'VALIDATION_FAILED'],
    ]);
    expect(refused[1].reason.errors.map((error: { pointer: string; code: string }) => [error.pointer, error.code])).toEqual([
      ['/contributors/0/email', 'FORMAT'],
      ['/created', 'FORMAT'],
    ]);
    expect(first.stderr).toContain('import: 5/5 datasets (100%)');

    // In git, byte for byte as written (numbers too), and in the catalog with one event each.
    const numbers = await storage.readFile(
      { owner: 'acme', name: 'language-codes' },
      await storage.resolveRef({ owner: 'acme', name: 'language-codes' }),
      DESCRIPTOR_PATH,
    );
    expect(numbers).toContain('"version": 1.0,');
    expect(numbers).toContain('"x-rows": 200.0,');
    for (const name of ['gdp', 'geo-countries', 'language-codes']) {
      expect(await connection.catalog.getDataset({ owner: 'acme', name })).toMatchObject({ deleted: false });
      expect(await revisionsOf(name)).toBe(1);
    }
    const events = await eventCount();
    expect(events).toBe(3);

    const again = await importCommand(['--owner', 'acme', root]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^imported: 0 created, 0 updated, 3 unchanged, 3 with warnings, 2 refused\n/);
    expect(again.stdout).toContain(`refused ${path.join(root, 'no-name', DESCRIPTOR_PATH)} (acme/no-name): VALIDATION_FAILED`);
    expect(again.stdout).toContain('  /created FORMAT must be a valid date-time (Created)');
    for (const name of ['gdp', 'geo-countries', 'language-codes']) expect(await revisionsOf(name)).toBe(1);
    expect(await eventCount()).toBe(events);
  });

  it('updates a changed package, and refuses the common v1 forms with --strict', async () => {
    const gdp = path.join(root, 'gdp', DESCRIPTOR_PATH);
    expect((await importCommand(['--owner', 'acme', gdp])).code).toBe(0);
    await writeFile(gdp, corpusText({ file: 'gdp.json' }).replace('"title": "', '"title": "Updated: '));
    const updated = JSON.parse((await importCommand(['--owner', 'acme', '--json', gdp])).stdout);
    expect(updated).toMatchObject({ created: 0, updated: 1, refused: 0 });
    expect(await revisionsOf('gdp')).toBe(2);

    const strict = JSON.parse((await importCommand(['--owner', 'acme', '--strict', '--json', path.join(root, 'countries')])).stdout);
    expect(strict).toMatchObject({ created: 0, refused: 1 });
    expect(strict.packages[0].reason.errors).toEqual([expect.objectContaining({ pointer: '/licenses/0', code: 'LEGACY_URL_PROPERTY' })]);
  });

  it('answers usage errors with 2', async () => {
    expect((await importCommand([root])).code).toBe(2);
    expect((await importCommand(['--owner', 'Not An Owner!', root])).code).toBe(2);
    expect((await importCommand(['--owner', 'acme', path.join(root, 'missing')])).code).toBe(2);
    expect((await importCommand(['--help'])).stdout).toContain('Usage: metastore import');
  });
});
