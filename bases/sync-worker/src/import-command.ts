import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CatalogedStorage } from '@metastore/catalog';
import { DatasetService, DESCRIPTOR_PATH, isJsonObject, numberFormsOf, parseDatasetId, parseOwner } from '@metastore/datasets';
import { ConfigurationError, DomainError, NotFoundError, ValidationError } from '@metastore/errors';
import { loadCliConfig, type CliConfig } from '@metastore/runtime';
import type { Author, DatasetId } from '@metastore/storage';
import type { CliIo } from './cli';
import { createLogger, eventOptions, openDependencies, type CatalogJobDependencies, type DependencyOverrides } from './dependencies';
import { progressReporter } from './progress';

const USAGE = `Usage: metastore import --owner OWNER [options] PATH...

Creates or updates one dataset per datapackage.json: each PATH is a descriptor file, or a folder searched
for datapackage.json files (hidden folders and node_modules skipped). The dataset's name is the descriptor's
'name', else the name of the folder holding it. A descriptor that is unchanged makes no new revision, so a
run can be repeated. Writes are recorded in the catalog with their events, as the API's are.

Options:
  --owner OWNER        Owner of the datasets (required).
  --strict             Refuse the common v1 forms otherwise accepted with a warning (as ?strict=true).
  --author "NAME <EMAIL>"  Commit author (default: metastore import <import@metastore.invalid>).
  --message TEXT       Commit message (default: Import <path>).
  --json               Print the summary as JSON.
  -h, --help           Show this help.

Configuration comes from the environment, as for the other catalog commands (DATABASE_URL, or the API's
embedded database when it is stopped; STORAGE and its variables).
`;

const DEFAULT_AUTHOR: Author = { name: 'metastore import', email: 'import@metastore.invalid' };
/** How many errors of a refused package the summary quotes (the count says how many there were). */
const QUOTED_ERRORS = 3;

/** What happened to one descriptor file. */
export interface ImportOutcome {
  readonly file: string;
  readonly dataset?: string;
  readonly result: 'created' | 'updated' | 'unchanged' | 'refused';
  readonly revision?: string;
  /** Warning codes of an accepted package (SHOULDs and common v1 forms). */
  readonly warnings?: readonly string[];
  /** Why a package was refused: a code and message, and for an invalid descriptor its first errors. */
  readonly reason?: { readonly code: string; readonly message: string; readonly errors?: readonly object[]; readonly errorCount?: number };
}

/** The summary of one run. */
export interface ImportSummary {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Accepted with at least one warning. */
  readonly warned: number;
  readonly refused: number;
  /** How often each warning code came back over the accepted packages. */
  readonly warningCodes: Readonly<Record<string, number>>;
  readonly packages: readonly ImportOutcome[];
}

/** The datapackage.json files under `paths` (a file as given; a folder searched, hidden folders and node_modules skipped), sorted. */
export async function findDescriptors(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') await walk(full);
      else if (entry.isFile() && entry.name === DESCRIPTOR_PATH) found.add(full);
    }
  };
  for (const given of paths) {
    const resolved = path.resolve(given);
    if ((await stat(resolved)).isDirectory()) await walk(resolved);
    else found.add(resolved);
  }
  return [...found].sort();
}

function parseAuthor(text: string): Author {
  const match = /^\s*(.+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  if (!match) throw new ConfigurationError(`--author must be "NAME <EMAIL>", not '${text}'`);
  return { name: match[1]!, email: match[2]! };
}

/** The dataset a descriptor file becomes: its `name`, else its folder's name (either must be a valid dataset name). */
function datasetIdFor(owner: string, file: string, descriptor: unknown): DatasetId {
  const declared = isJsonObject(descriptor) && typeof descriptor['name'] === 'string' ? descriptor['name'] : undefined;
  return parseDatasetId(owner, declared ?? path.basename(path.dirname(file)));
}

/** Imports one file: create, or replace (no revision when unchanged); a refusal is an outcome, never a throw. */
async function importOne(
  datasets: DatasetService,
  file: string,
  owner: string,
  options: { author: Author; message?: string; strict: boolean },
): Promise<ImportOutcome> {
  const relative = path.relative(process.cwd(), file);
  const shown = relative === '' || relative.startsWith('..') ? file : relative;
  let id: DatasetId | undefined;
  try {
    const text = await readFile(file, 'utf8');
    let descriptor: unknown;
    try {
      descriptor = JSON.parse(text);
    } catch (error) {
      return { file: shown, result: 'refused', reason: { code: 'INVALID_JSON', message: (error as Error).message } };
    }
    id = datasetIdFor(owner, file, descriptor);
    const write = {
      author: options.author,
      strict: options.strict,
      numberForms: numberFormsOf(text),
      message: options.message ?? `Import ${shown}`,
    };
    const exists = await datasets.resolve(id).then(
      () => true,
      (error: unknown) => {
        if (error instanceof NotFoundError && error.code === 'DATASET_NOT_FOUND') return false;
        throw error;
      },
    );
    const result = exists ? await datasets.replace(id, descriptor, write) : await datasets.create(id, descriptor, write);
    return {
      file: shown,
      dataset: `${id.owner}/${id.name}`,
      result: !exists ? 'created' : result.changed ? 'updated' : 'unchanged',
      revision: result.revision.sha,
      warnings: [...new Set(result.warnings.map((warning) => warning.code))],
    };
  } catch (error) {
    const dataset = id ? { dataset: `${id.owner}/${id.name}` } : {};
    if (error instanceof ValidationError) {
      const reason = {
        code: error.code,
        message: error.message,
        errors: error.issues.slice(0, QUOTED_ERRORS),
        errorCount: error.issues.length,
      };
      return { file: shown, ...dataset, result: 'refused', reason };
    }
    if (error instanceof DomainError)
      return { file: shown, ...dataset, result: 'refused', reason: { code: error.code, message: error.message } };
    throw error;
  }
}

/** Imports every descriptor file under `paths` into `owner`'s datasets, one at a time, reporting progress. */
export async function importDescriptors(
  datasets: DatasetService,
  files: readonly string[],
  owner: string,
  options: { author: Author; message?: string; strict: boolean; onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
): Promise<ImportSummary> {
  const packages: ImportOutcome[] = [];
  options.onProgress?.(0, files.length);
  for (const file of files) {
    if (options.signal?.aborted) break;
    packages.push(await importOne(datasets, file, owner, options));
    options.onProgress?.(packages.length, files.length);
  }
  const count = (result: ImportOutcome['result']) => packages.filter((outcome) => outcome.result === result).length;
  const warningCodes: Record<string, number> = {};
  for (const outcome of packages) for (const code of outcome.warnings ?? []) warningCodes[code] = (warningCodes[code] ?? 0) + 1;
  return {
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    warned: packages.filter((outcome) => (outcome.warnings ?? []).length > 0).length,
    refused: count('refused'),
    warningCodes,
    packages,
  };
}

/** The summary as text: the counts, then each refused package and why, then the warning codes by frequency. */
export function describeImport(summary: ImportSummary): string {
  const lines = [
    `imported: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.warned} with warnings, ${summary.refused} refused`,
  ];
  for (const outcome of summary.packages.filter((candidate) => candidate.result === 'refused')) {
    const reason = outcome.reason!;
    lines.push(`refused ${outcome.file}${outcome.dataset ? ` (${outcome.dataset})` : ''}: ${reason.code}: ${reason.message}`);
    for (const error of (reason.errors ?? []) as { pointer: string; code?: string; message: string }[]) {
      lines.push(`  ${error.pointer || '/'} ${error.code === undefined ? '' : `${error.code} `}${error.message}`);
    }
    if ((reason.errorCount ?? 0) > QUOTED_ERRORS) lines.push(`  ... and ${reason.errorCount! - QUOTED_ERRORS} more`);
  }
  const codes = Object.entries(summary.warningCodes).sort(([, left], [, right]) => right - left);
  if (codes.length > 0) lines.push(`warnings: ${codes.map(([code, times]) => `${code} ${times}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** `metastore import`: resolves to the exit code (0 all imported, 1 some refused or failed, 2 usage or configuration error). */
export async function runImportCommand(argv: readonly string[], io: CliIo, overrides: DependencyOverrides = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        owner: { type: 'string' },
        strict: { type: 'boolean' },
        author: { type: 'string' },
        message: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`metastore import: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let owner: string;
  let author: Author;
  let files: string[];
  let config: CliConfig;
  try {
    if (values.owner === undefined || positionals.length === 0) throw new ConfigurationError('--owner and at least one PATH are required');
    owner = parseOwner(values.owner);
    author = values.author === undefined ? DEFAULT_AUTHOR : parseAuthor(values.author);
    files = await findDescriptors(positionals);
    config = loadCliConfig(io.env);
  } catch (error) {
    io.stderr.write(`metastore import: ${(error as Error).message}\n${error instanceof ConfigurationError ? `\n${USAGE}` : ''}`);
    return 2;
  }
  let dependencies: CatalogJobDependencies;
  try {
    dependencies = await openDependencies(config, createLogger(config, { service: 'metastore-cli', fd: 2 }), overrides);
  } catch (error) {
    io.stderr.write(`metastore import: ${(error as Error).message}\n`);
    return error instanceof ConfigurationError ? 2 : 1;
  }
  const progress = progressReporter('import', io.stderr);
  try {
    await Promise.all([dependencies.storage.checkReady(), dependencies.catalog.checkReady()]);
    // Through the catalog, as the API writes: each import is recorded with its event (the relay publishes them).
    const storage = new CatalogedStorage(dependencies.storage, dependencies.catalog, {
      events: eventOptions(config),
      logger: dependencies.logger.child({ component: 'catalog' }),
    });
    const summary = await importDescriptors(new DatasetService({ storage }), files, owner, {
      author,
      strict: values.strict ?? false,
      onProgress: progress.onProgress,
      ...(values.message !== undefined ? { message: values.message } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    progress.finish();
    io.stdout.write(values.json ? `${JSON.stringify({ command: 'import', ...summary })}\n` : describeImport(summary));
    if (io.signal?.aborted) {
      io.stderr.write('metastore import: interrupted; the summary covers the packages done so far\n');
      return 1;
    }
    return summary.refused === 0 ? 0 : 1;
  } catch (error) {
    progress.finish();
    io.stderr.write(`metastore import failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await dependencies.close();
  }
}
