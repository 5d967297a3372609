import { z } from 'zod';
import { declarationsOf, PROCESS_NAMES, type ProcessName, type VariableDeclaration, type VariableSchema } from './environment';
import { PROCESS_VARIABLES, storageVariables } from './runtime.config';
import { STORAGE_BACKENDS } from './storage-backends';

/**
 * The main table's groups, in the README's order: every group some process reads, the API's first (in its order),
 * then what the worker, the CLI and the indexer add.
 */
const MAIN_TABLE: readonly VariableSchema[] = [
  ...new Set(PROCESS_NAMES.flatMap((process): readonly VariableSchema[] => PROCESS_VARIABLES[process])),
];

const PROCESS_TITLES: Record<ProcessName, string> = { api: 'API', worker: 'worker', cli: 'CLI', indexer: 'indexer' };

/** One README row: the variables it documents (the first leads), their default, who reads them, and what they mean. */
export interface ConfigurationRow {
  readonly names: readonly string[];
  readonly shownDefault: string;
  readonly readBy: readonly ProcessName[];
  readonly meaning: string;
}

/** A generated table and the marker naming its README block (`main`, or `storage:<backend>`). */
export interface ConfigurationTable {
  readonly id: string;
  /** The README section holding it, for messages (a storage backend's `title`). */
  readonly title?: string;
  readonly rows: readonly ConfigurationRow[];
}

/** The processes reading any variable of `schema`; a backend's variables are read wherever `STORAGE` is. */
function readersOf(schema: VariableSchema): ProcessName[] {
  return PROCESS_NAMES.filter((process) => (PROCESS_VARIABLES[process] as readonly VariableSchema[]).includes(schema));
}

/** A default as the README shows it. */
function shownDefaultOf(declaration: VariableDeclaration): string {
  if (declaration.shownDefault !== undefined) return declaration.shownDefault;
  const value = declaration.defaultValue;
  if (value === undefined || (Array.isArray(value) && value.length === 0) || value === '') return '';
  return `\`${String(value)}\``;
}

/** The rows of `groups`: one per variable, except that a `documentedWith` variable joins its leader's row. */
function rowsOf(groups: readonly { schema: VariableSchema; readBy: readonly ProcessName[] }[]): ConfigurationRow[] {
  const entries = groups.flatMap(({ schema, readBy }) => declarationsOf(schema).map((declaration) => ({ declaration, readBy })));
  const leaders = entries.filter(({ declaration }) => declaration.documentedWith === undefined);
  for (const { declaration } of entries) {
    if (declaration.documentedWith !== undefined && !leaders.some((leader) => leader.declaration.name === declaration.documentedWith)) {
      throw new Error(`${declaration.name}: documentedWith ${declaration.documentedWith}, which is not in the same table`);
    }
    if (declaration.documentedWith === undefined && !declaration.description) throw new Error(`${declaration.name}: no description`);
  }
  return leaders.map(({ declaration, readBy }) => {
    const members = [
      declaration,
      ...entries.filter((entry) => entry.declaration.documentedWith === declaration.name).map((e) => e.declaration),
    ];
    const shownDefault =
      declaration.shownDefault ??
      members
        .map(shownDefaultOf)
        .filter((text) => text !== '')
        .join(', ');
    return { names: members.map((member) => member.name), shownDefault, readBy, meaning: declaration.description ?? '' };
  });
}

/** Every documented table: the main one, then one per storage backend declaring variables of its own. */
export function configurationTables(): ConfigurationTable[] {
  const main = rowsOf(MAIN_TABLE.map((schema) => ({ schema, readBy: readersOf(schema) })));
  const backends = STORAGE_BACKENDS.flatMap((backend) =>
    'variables' in backend && backend.variables
      ? [
          {
            id: `storage:${backend.name}`,
            ...('title' in backend && backend.title ? { title: backend.title } : {}),
            rows: rowsOf([{ schema: backend.variables, readBy: readersOf(storageVariables) }]),
          },
        ]
      : [],
  );
  return [{ id: 'main', rows: main }, ...backends];
}

/** Markdown table cell text (a `|` would end the cell). */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A row's Markdown line. */
function rowLine(row: ConfigurationRow): string {
  const names = row.names.map((name) => `\`${name}\``).join(', ');
  const readBy = row.readBy.length === PROCESS_NAMES.length ? 'all' : row.readBy.map((process) => PROCESS_TITLES[process]).join(', ');
  return `| ${names} | ${cell(row.shownDefault)} | ${readBy} | ${cell(row.meaning)} |`;
}

/** A table as Markdown. */
export function renderTable(table: ConfigurationTable): string {
  return ['| variable | default | read by | meaning |', '|---|---|---|---|', ...table.rows.map(rowLine)].join('\n');
}

const BLOCK = /<!-- config:begin(?: ([\w:-]+))? -->\n([\s\S]*?)<!-- config:end -->/g;

/** The README's generated blocks by id (`<!-- config:begin -->` is `main`). */
function blocksOf(readme: string): Map<string, string> {
  return new Map([...readme.matchAll(BLOCK)].map((match) => [match[1] ?? 'main', match[2] ?? '']));
}

/** `readme` with every generated block rewritten from the schema (a block missing from it is not added: see `readmeDifferences`). */
export function writeConfigurationTables(readme: string): string {
  const tables = new Map(configurationTables().map((table) => [table.id, table]));
  return readme.replace(BLOCK, (whole, id: string | undefined) => {
    const table = tables.get(id ?? 'main');
    return table ? `<!-- config:begin${id ? ` ${id}` : ''} -->\n${renderTable(table)}\n<!-- config:end -->` : whole;
  });
}

/** A Markdown row's variable names (its first cell's code spans). */
function namesOf(line: string): string[] {
  const first = line.split(' | ')[0] ?? '';
  return [...first.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]!);
}

/** Where the README and the schema disagree, one line per differing variable (or missing block); empty when they agree. */
export function readmeDifferences(readme: string): string[] {
  const blocks = blocksOf(readme);
  const differences: string[] = [];
  for (const table of configurationTables()) {
    const block = blocks.get(table.id);
    const marker = `<!-- config:begin${table.id === 'main' ? '' : ` ${table.id}`} -->`;
    if (block === undefined) {
      const section = table.title ? ` (${table.title})` : '';
      differences.push(`the README has no ${marker} block${section} for ${table.rows.map((row) => row.names[0]).join(', ')}`);
      continue;
    }
    const documented = new Map(
      block
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .map((line) => [namesOf(line)[0] ?? line, line]),
    );
    for (const row of table.rows) {
      const name = row.names[0]!;
      const line = documented.get(name);
      if (line === undefined) differences.push(`${name}: declared in the schema, missing from the README's ${marker} table`);
      else if (line !== rowLine(row))
        differences.push(`${name}: the README's row differs from the schema (npm run docs:config rewrites it)`);
      documented.delete(name);
    }
    for (const name of documented.keys()) differences.push(`${name}: in the README's ${marker} table, declared nowhere in the schema`);
    const rendered = renderTable(table);
    if (differences.length === 0 && block.trimEnd() !== rendered) differences.push(`the ${marker} table's header or layout differs`);
  }
  return differences;
}

/** Every variable any process reads, by name (for checks such as "every secret is marked"). */
export function declaredVariables(): VariableDeclaration[] {
  const schemas = [
    ...MAIN_TABLE,
    ...STORAGE_BACKENDS.flatMap((backend) => ('variables' in backend && backend.variables ? [backend.variables] : [])),
  ];
  return schemas.flatMap((schema) => declarationsOf(schema as z.ZodObject<z.ZodRawShape>));
}
