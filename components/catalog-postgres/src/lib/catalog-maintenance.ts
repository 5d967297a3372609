import { Prisma, type PrismaClient } from '../generated/prisma/client';

/** The tables whose statistics steer the catalog's plans, checked at start. */
const CATALOG_TABLES = ['datasets', 'dataset_keywords', 'descriptors', 'tags', 'outbox_events'] as const;

/** A table's size now against what its last ANALYZE (or VACUUM) recorded; all read from the catalogs, no table is scanned. */
interface TableState {
  readonly table: string;
  /** -1: never analysed nor vacuumed. */
  readonly reltuples: number;
  readonly relpages: number;
  readonly pages: number;
  readonly hasStatistics: boolean;
}

/**
 * Whether the planner's picture of a table is missing or out of date: it has pages but was never analysed, has no
 * column statistics (an index build records the size but gathers none), or its size moved by more than a fifth since.
 */
export function isStale(state: TableState): boolean {
  if (state.pages === 0) return false;
  if (state.reltuples < 0 || !state.hasStatistics) return true;
  return Math.abs(state.pages - state.relpages) > Math.max(8, 0.2 * state.relpages);
}

const quoted = (tables: readonly string[]) => tables.map((table) => `"${table}"`).join(', ');

/**
 * Keeps the planner's statistics (and, where nothing else does, the tables' vacuuming) up to date.
 *
 * A PostgreSQL server runs autovacuum, which analyses a table after a tenth of it changed. The embedded database
 * (PGlite) is a single-user backend: no autovacuum launcher, so it would never gather statistics nor remove dead
 * rows, and its cumulative statistics (the change counters autovacuum reads) are not kept across restarts. So:
 * - at start (`start`), a cheap look at the catalogs (`isStale`) analyses any catalog table whose statistics are
 *   missing or whose size changed by more than a fifth since they were gathered (seeded or restored data, a
 *   migration's backfill, changes of an earlier run); without autovacuum it vacuums them too;
 * - without autovacuum, `apply` counts dataset changes (`recordChanges`), and past max(`minChanges`, a tenth of
 *   the datasets) the whole database is vacuumed and analysed (`VACUUM (ANALYZE)`: dead rows of updates and
 *   deletes, the visibility map that index-only scans read, transaction-id freezing, and the system catalogs that
 *   ANALYZE itself updates). With autovacuum that counting stops at once.
 * Both run in the background, one at a time, on the store's own connections; a failure is kept in `lastFailure`
 * and otherwise ignored (the next run retries).
 */
export class CatalogMaintenance {
  private changes = 0;
  private threshold: number;
  private autovacuum: Promise<boolean> | undefined;
  private knownAutovacuum: boolean | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** The error of the last run that failed, until one succeeds (the store has no logger: for diagnostics and tests). */
  lastFailure: unknown;

  constructor(
    private readonly prisma: PrismaClient,
    /** The fewest dataset changes between two vacuums of a database without autovacuum. */
    private readonly minChanges: number,
  ) {
    this.threshold = minChanges;
  }

  /** Starts the check at start (in the background). */
  start(): void {
    this.launch(async () => {
      await this.refreshStale();
    });
  }

  /**
   * Counts dataset changes that `apply` committed; past the threshold, vacuums and analyses in the background (only without autovacuum).
   */
  recordChanges(count: number): void {
    if (this.knownAutovacuum === true || count === 0) return;
    this.changes += count;
    if (this.changes >= this.threshold) this.launch(() => this.vacuumAll());
  }

  /** Resolves when the running task (if any) has finished; starts no other. */
  settle(): Promise<void> {
    this.closed = true;
    return this.running ?? Promise.resolve();
  }

  /** The task in flight, if any (for tests). */
  get idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private launch(task: () => Promise<void>): void {
    if (this.running || this.closed) return;
    this.running = task()
      .then(
        () => {
          this.lastFailure = undefined;
        },
        (error: unknown) => {
          this.lastFailure = error;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Whether the server runs autovacuum: not a single-user backend (PGlite is one), and the setting is on. */
  withoutAutovacuum(): Promise<boolean> {
    this.autovacuum ??= this.prisma.$queryRaw<{ autovacuum: boolean }[]>`
        SELECT current_setting('autovacuum')::boolean
           AND coalesce((SELECT backend_type <> 'standalone backend' FROM pg_stat_activity WHERE pid = pg_backend_pid()), true) AS autovacuum`.then(
      ([row]) => {
        this.knownAutovacuum = row?.autovacuum === true;
        return this.knownAutovacuum;
      },
    );
    this.autovacuum.catch(() => {
      this.autovacuum = undefined;
    });
    return this.autovacuum.then((autovacuum) => !autovacuum);
  }

  /** The catalog tables' sizes against their last statistics. */
  async tableStates(): Promise<TableState[]> {
    const rows = await this.prisma.$queryRaw<
      { table: string; reltuples: number; relpages: number; pages: bigint; hasStatistics: boolean }[]
    >`
      SELECT c.relname::text AS "table", c.reltuples::float8 AS reltuples, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int AS pages,
             EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname) AS "hasStatistics"
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(${[...CATALOG_TABLES]}::text[]) AS t)`;
    return rows.map((row) => ({ ...row, pages: Number(row.pages) }));
  }

  /** Analyses (without autovacuum: vacuums and analyses) the catalog tables whose statistics are missing or out of date. */
  async refreshStale(): Promise<readonly string[]> {
    await this.withoutAutovacuum();
    const stale = (await this.tableStates()).filter(isStale).map((state) => state.table);
    if (stale.length > 0) await this.run(stale);
    await this.updateThreshold();
    return stale;
  }

  private async vacuumAll(): Promise<void> {
    if (!(await this.withoutAutovacuum())) {
      this.changes = 0;
      return;
    }
    // Changes recorded while this runs count towards the next run.
    this.changes = 0;
    // VACUUM cannot run in a transaction: a plain statement on a pooled connection is one of its own.
    await this.prisma.$executeRawUnsafe('VACUUM (ANALYZE)');
    await this.updateThreshold();
  }

  private async run(tables: readonly string[]): Promise<void> {
    const command = (await this.withoutAutovacuum()) ? 'VACUUM (ANALYZE)' : 'ANALYZE';
    await this.prisma.$executeRawUnsafe(`${command} ${quoted(tables)}`);
  }

  /** Autovacuum's own rule for analysing (a tenth of the rows changed), with `minChanges` as a floor. */
  private async updateThreshold(): Promise<void> {
    const [row] = await this.prisma.$queryRaw<{ reltuples: number }[]>(
      Prisma.sql`SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = to_regclass('datasets')`,
    );
    this.threshold = Math.max(this.minChanges, Math.ceil(0.1 * Math.max(row?.reltuples ?? 0, 0)));
  }
}
