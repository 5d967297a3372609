// Prisma CLI settings for the catalog schema: the JavaScript schema engine through a driver adapter, so that
// `prisma generate` and `prisma migrate deploy` need no engine download (see shared/notes/prisma-offline.md).
import path from 'node:path';
import { PrismaPg } from 'adapter-pg-migrate';
import { defineConfig } from 'prisma/config';

/** Connection fields from DATABASE_URL: fields, not a connection string, so that the shadow-database helper can override `database`. */
function connectionFields(url: string | undefined) {
  if (!url) throw new Error('DATABASE_URL must be set to a postgresql:// URL to run migrations');
  const parsed = new URL(url);
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') throw new Error('DATABASE_URL must be a postgresql:// URL');
  return {
    host: decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password) || undefined,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  // @prisma/adapter-pg 6.19 cannot read PostgreSQL's `name` type in the migrate queries (prisma/prisma#27403); 7.10 can.
  // allowExitOnIdle: the CLI never closes the pool, and idle connections would hold the process open for pg's 10 s idle timeout.
  adapter: async () => new PrismaPg({ ...connectionFields(process.env.DATABASE_URL), allowExitOnIdle: true }),
});
