import { ConfigurationError } from '@metastore/errors';
import { z } from 'zod';

/** Settings of the catalog database: a PostgreSQL server, or (no URL) the embedded one. */
export interface CatalogDatabaseConfig {
  /** `postgresql://user:password@host:port/database`; absent means the embedded PGlite database. */
  readonly url?: string;
  /** Connections in the pool (the embedded database always gets one). */
  readonly poolSize: number;
}

const postgresUrl = z
  .string()
  .min(1)
  .refine((value) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be a postgresql:// URL');

const schema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
});

/**
 * Parses the catalog database settings from environment-style values; throws a ConfigurationError naming each bad one (never echoing the
 * URL).
 */
export function parseCatalogDatabaseConfig(values: Record<string, string | undefined>): CatalogDatabaseConfig {
  const result = schema.safeParse({ ...values, DATABASE_URL: values['DATABASE_URL'] || undefined });
  if (!result.success) {
    throw new ConfigurationError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return {
    ...(result.data.DATABASE_URL ? { url: result.data.DATABASE_URL } : {}),
    poolSize: result.data.DATABASE_POOL_SIZE,
  };
}
