import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configurationTables, readmeDifferences, renderTable, writeConfigurationTables } from './configuration.docs';
import { PROCESS_VARIABLES } from './runtime.config';
import { STORAGE_BACKENDS } from './storage-backends';

const README = readFileSync(path.join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');

describe("the README's configuration tables", () => {
  it('agree with the schema (npm run docs:config regenerates them)', () => {
    expect(readmeDifferences(README)).toEqual([]);
    expect(writeConfigurationTables(README)).toBe(README);
  });

  it('name the variable whose row differs, is missing, or is declared nowhere', () => {
    const changed = README.replace('| `PORT` | `3000` |', '| `PORT` | `8080` |');
    expect(readmeDifferences(changed)).toEqual([expect.stringMatching(/^PORT: the README's row differs/)]);
    const missing = README.split('\n')
      .filter((line) => !line.startsWith('| `GITHUB_TOPIC`'))
      .join('\n');
    expect(readmeDifferences(missing)).toEqual([expect.stringMatching(/^GITHUB_TOPIC: declared in the schema, missing/)]);
    const extra = README.replace('| `HOST` |', '| `METASTORE_UNHEARD_OF` | | API | x |\n| `HOST` |');
    expect(readmeDifferences(extra)).toEqual([expect.stringMatching(/^METASTORE_UNHEARD_OF: in the README's .* declared nowhere/)]);
    expect(writeConfigurationTables(changed)).toBe(README);
  });

  it("ask for a block of every backend's variables", () => {
    const withoutGitHub = README.replace('<!-- config:begin storage:github -->', '<!-- (removed) -->');
    expect(readmeDifferences(withoutGitHub)).toEqual([
      expect.stringContaining('<!-- config:begin storage:github --> block (GitHub storage) for GITHUB_TOKEN'),
    ]);
  });

  it('list every variable each process reads, once, with who reads it', () => {
    const rows = configurationTables().flatMap((table) => table.rows);
    const documented = rows.flatMap((row) => row.names);
    expect(new Set(documented).size).toBe(documented.length);
    const read = [
      ...Object.values(PROCESS_VARIABLES).flatMap((schemas) => schemas.flatMap((schema) => Object.keys(schema.shape))),
      ...STORAGE_BACKENDS.flatMap((backend) => ('variables' in backend && backend.variables ? Object.keys(backend.variables.shape) : [])),
    ];
    expect(new Set(documented)).toEqual(new Set(read));
    const readBy = (name: string) => rows.find((row) => row.names.includes(name))?.readBy;
    expect(readBy('HOST')).toEqual(['api']);
    expect(readBy('LOG_LEVEL')).toEqual(['api', 'worker', 'cli', 'indexer']);
    expect(readBy('REDIS_URL')).toEqual(['api', 'worker', 'indexer']);
    expect(readBy('GITHUB_TOKEN')).toEqual(['api', 'worker', 'cli']);
    expect(readBy('SYNC_MODE')).toEqual(['worker']);
  });

  it('render a row per variable, joining those documented together', () => {
    const main = renderTable(configurationTables()[0]!);
    expect(main).toContain('| `PORT` | `3000` | API, worker, CLI | HTTP port |');
    expect(main).toContain(
      '| `METASTORE_JWT_ISSUER`, `METASTORE_JWT_AUDIENCE`, `METASTORE_JWT_CLOCK_SKEW_SECONDS` | `metastore`, `metastore`, `30` |',
    );
  });
});
