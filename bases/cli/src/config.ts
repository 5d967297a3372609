import bytes from 'bytes';
import { z } from 'zod';
import { parseCatalogDatabaseConfig, type CatalogDatabaseConfig } from '@metastore/catalog-postgres';
import { ConfigurationError } from '@metastore/errors';
import { parseGitHubStorageConfig, type GitHubStorageConfig } from '@metastore/storage-github';
import { parseLocalGitStorageConfig, type LocalGitStorageConfig } from '@metastore/storage-local';

/** Log levels pino knows. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The CLI's configuration: the same variables as the API and the sync worker, read from the environment. */
export interface CliConfig {
  /** `warn` unless LOG_LEVEL says otherwise: the CLI's own output is the progress and the summary. */
  readonly logLevel: LogLevel;
  /** The catalog's PostgreSQL database: `DATABASE_URL` is required. */
  readonly database: CatalogDatabaseConfig & { readonly url: string };
  /** The Prisma config whose migrations are applied first (`METASTORE_PRISMA_CONFIG`, as for the API); default: the source tree's. */
  readonly prismaConfigPath?: string;
  /** How the events `catalog sync` records are stamped (as the API stamps them). */
  readonly events: { readonly publicUrl: string; readonly maxDescriptorBytes: number };
  /** The storage backend and its settings, parsed exactly as the API parses them. */
  readonly storage:
    | { readonly backend: 'local'; readonly local: LocalGitStorageConfig }
    | { readonly backend: 'github'; readonly local: LocalGitStorageConfig; readonly github: GitHubStorageConfig };
}

const byteSize = z.string().transform((value, context) => {
  const parsed = bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
    context.addIssue({ code: 'custom', message: `'${value}' is not a size such as 1mb or 512kb` });
    return z.NEVER;
  }
  return parsed;
});

const schema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  STORAGE: z.enum(['local', 'github']).default('local'),
  METASTORE_PUBLIC_URL: z.url().default('http://localhost:3000'),
  METASTORE_EVENT_DESCRIPTOR_LIMIT: byteSize.default(256 * 1024),
});

/** Parses and validates the environment; throws a ConfigurationError naming every bad variable (never a value: some are secrets). */
export function loadCliConfig(env: Record<string, string | undefined>): CliConfig {
  const values = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const result = schema.safeParse(values);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const database = attempt(() => parseCatalogDatabaseConfig(env));
  if (database && database.url === undefined) problems.push('DATABASE_URL: required, the catalog database (postgresql://user:password@host:5432/database)');
  const local = attempt(() => parseLocalGitStorageConfig(env));
  const github = values['STORAGE'] === 'github' ? attempt(() => parseGitHubStorageConfig(env)) : undefined;
  if (!result.success || !local || !database?.url || problems.length > 0) throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  const parsed = result.data;
  return {
    logLevel: parsed.LOG_LEVEL,
    database: { ...database, url: database.url },
    ...(values['METASTORE_PRISMA_CONFIG'] ? { prismaConfigPath: values['METASTORE_PRISMA_CONFIG'] } : {}),
    events: { publicUrl: parsed.METASTORE_PUBLIC_URL.replace(/\/+$/, ''), maxDescriptorBytes: parsed.METASTORE_EVENT_DESCRIPTOR_LIMIT },
    storage: parsed.STORAGE === 'github' && github ? { backend: 'github', local, github } : { backend: 'local', local },
  };
}
