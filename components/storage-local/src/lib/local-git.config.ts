import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/** Settings of the local git storage. */
export interface LocalGitStorageConfig {
  /** Directory under which the bare repositories live (`<dataDir>/repositories/<owner>/<name>.git`). */
  readonly dataDir: string;
  /** Branch that holds each dataset's history. */
  readonly defaultBranch: string;
  /** How many file contents (by immutable revision sha) to keep in memory. */
  readonly cacheEntries: number;
}

/**
 * The local git storage's environment variables: parser, default and meaning of each (the runtime documents them in the README).
 * `description` is the README's meaning; `shownDefault` the default as the README shows it when the parsed one does not read well.
 */
export const localGitStorageVariables = z.object({
  METASTORE_DATA_DIR: z.string().min(1).default('./data').meta({
    description:
      'where the local backend keeps repositories (`repositories/<owner>/<name>.git`); for every backend, the generated JWT secret, the embedded catalog and `catalog-journal/` (changes waiting for the catalog database, below)',
  }),
  METASTORE_DEFAULT_BRANCH: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a simple branch name such as main')
    .default('main')
    .meta({ description: "the branch holding each dataset's history" }),
  METASTORE_LOCAL_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(10_000)
    .meta({ description: 'immutable objects (file contents by revision) kept in memory' }),
});

/** Parses the local storage settings from environment-style values; throws a ConfigurationError naming each bad one. */
export function parseLocalGitStorageConfig(values: Record<string, string | undefined>): LocalGitStorageConfig {
  const result = localGitStorageVariables.safeParse(values);
  if (!result.success) {
    throw new ConfigurationError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return {
    dataDir: path.resolve(result.data.METASTORE_DATA_DIR),
    defaultBranch: result.data.METASTORE_DEFAULT_BRANCH,
    cacheEntries: result.data.METASTORE_LOCAL_CACHE_ENTRIES,
  };
}
