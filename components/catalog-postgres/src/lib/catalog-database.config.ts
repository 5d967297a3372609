import { ConfigurationError } from '@metastore/errors';
import { z } from 'zod';

/** Settings of the catalog database: a PostgreSQL server, or (no URL) the embedded one. */
export interface CatalogDatabaseConfig {
  /** `postgresql://user:password@host:port/database`; absent means the embedded PGlite database. */
  readonly url?: string;
  /** Connections in the pool (the embedded database always gets one). */
  readonly poolSize: number;
  /** The migrations' Prisma config, where a deployment put it (`METASTORE_PRISMA_CONFIG`); absent: found (see `prismaConfigPath`). */
  readonly prismaConfigPath?: string;
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

/**
 * The catalog database's environment variables: parser, default and meaning of each (the runtime documents them in the README;
 * `secret`: a value never echoed).
 */
export const catalogDatabaseVariables = z.object({
  DATABASE_URL: postgresUrl.optional().meta({
    secret: true,
    shownDefault: '(embedded)',
    description:
      "the catalog's PostgreSQL (`postgresql://...`; migrated at start). Unset: an embedded PostgreSQL (PGlite) with its data in `<data dir>/catalog`",
  }),
  DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .meta({ description: 'connections in the pool to the PostgreSQL at `DATABASE_URL` (the embedded database always gets one)' }),
  METASTORE_PRISMA_CONFIG: z.string().optional().meta({
    shownDefault: '(found)',
    description: "the migrations' `prisma.config.ts`, where a deployment put it; unset: the one beside the bundle, else the source tree's",
  }),
});

/**
 * Parses the catalog database settings from environment-style values; throws a ConfigurationError naming each bad one (never echoing the
 * URL).
 */
export function parseCatalogDatabaseConfig(values: Record<string, string | undefined>): CatalogDatabaseConfig {
  const result = catalogDatabaseVariables.safeParse({ ...values, DATABASE_URL: values['DATABASE_URL'] || undefined });
  if (!result.success) {
    throw new ConfigurationError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return {
    ...(result.data.DATABASE_URL ? { url: result.data.DATABASE_URL } : {}),
    poolSize: result.data.DATABASE_POOL_SIZE,
    ...(result.data.METASTORE_PRISMA_CONFIG ? { prismaConfigPath: result.data.METASTORE_PRISMA_CONFIG } : {}),
  };
}
