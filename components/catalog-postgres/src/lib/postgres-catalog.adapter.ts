import {
  isCacheable,
  meetsExpectation,
  sameTag,
  storableEntry,
  type ApplyOutcome,
  type CachedDescriptor,
  type CatalogEntry,
  type CatalogStore,
  type CatalogUpdate,
  type SearchQuery,
} from '@metastore/catalog';
import { withoutNul, type MetastoreEvent } from '@metastore/events';
import { formatDatasetId, type DatasetId, type Page, type PageRequest, type Tag } from '@metastore/storage';
import { Prisma, type Dataset as DatasetRow, type PrismaClient, type Tag as TagRow } from '../generated/prisma/client';
import { CatalogMaintenance } from './catalog-maintenance';
import { guarded } from './database-errors';
import { decodeCursor, encodeCursor, type SearchCursor } from './search-cursor';

/**
 * Interactive-transaction limits (of `apply`, and of the outbox's `relayBatch`): waiting for a pooled connection, and the whole
 * transaction.
 */
export interface TransactionLimits {
  readonly maxWaitMs: number;
  readonly timeoutMs: number;
}

/** How the store bounds text searches and keeps its statistics; see `createCatalogDatabase` for the defaults. */
export interface CatalogStoreOptions {
  /**
   * A text search (`q`) is ordered by relevance when it matches at most this many datasets (after the other filters),
   * else in (owner, name) order: ranking is the one step whose cost grows with the number of matches.
   */
  readonly maxRankedMatches: number;
  /** Without autovacuum (the embedded database): vacuum and analyse the catalog after this many dataset changes at least. */
  readonly maintenanceMinChanges: number;
}

/** Defaults of {@link CatalogStoreOptions}. */
export const DEFAULT_CATALOG_STORE_OPTIONS: CatalogStoreOptions = { maxRankedMatches: 1000, maintenanceMinChanges: 1000 };

/** The dataset columns, aliased to the Prisma model's field names so raw rows and model rows map alike. */
const DATASET_COLUMNS = Prisma.sql`owner, name, backend, location, head_revision AS "headRevision", title, description,
  keywords, licenses, resource_count AS "resourceCount", created_at AS "createdAt", updated_at AS "updatedAt", deleted`;

/** The same fields, by their aliases: to select them from a subquery over DATASET_COLUMNS. */
const DATASET_FIELDS = Prisma.sql`owner, name, backend, location, "headRevision", title, description,
  keywords, licenses, "resourceCount", "createdAt", "updatedAt", deleted`;

/**
 * Orders appends to the outbox with its readers (see `apply` and `PostgresOutbox`): appends take it shared, so they never
 * wait for each other; a reader takes it exclusively for a moment to learn which sequences are settled.
 */
export const OUTBOX_APPEND_LOCK_KEY = 0x4d534f5554415050n;

/**
 * First key of the per-dataset advisory lock an update with expectations takes (the second is a hash of `owner/name`).
 * Two-key advisory locks live apart from the one-key ones above ("MSDS").
 */
export const DATASET_LOCK_CLASS = 0x4d534453;

/** The text-search configuration of the `search_vector` column (see the init migration): queries must use the same. */
const TEXT_SEARCH_CONFIG = Prisma.sql`'english'::regconfig`;

function toEntry(row: DatasetRow): CatalogEntry {
  return {
    id: { owner: row.owner, name: row.name },
    backend: row.backend,
    location: row.location,
    headRevision: row.headRevision,
    ...(row.title !== null ? { title: row.title } : {}),
    ...(row.description !== null ? { description: row.description } : {}),
    keywords: row.keywords,
    licenses: row.licenses,
    resourceCount: row.resourceCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deleted: row.deleted,
  };
}

function toDatasetRow(given: CatalogEntry): DatasetRow {
  // PostgreSQL's text cannot hold U+0000; the domain's entries never do, and this keeps it so whoever builds them.
  const entry = storableEntry(given);
  return {
    owner: entry.id.owner,
    name: entry.id.name,
    backend: entry.backend,
    location: entry.location,
    headRevision: entry.headRevision,
    title: entry.title ?? null,
    description: entry.description ?? null,
    keywords: [...entry.keywords],
    licenses: [...entry.licenses],
    resourceCount: entry.resourceCount,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    deleted: entry.deleted,
  };
}

function toTag(row: TagRow): Tag {
  return {
    name: row.tagName,
    target: row.target,
    description: row.description,
    author: { name: row.authorName, email: row.authorEmail },
    createdAt: row.createdAt.toISOString(),
  };
}

function toTagRow(id: DatasetId, tag: Tag): TagRow {
  return {
    owner: id.owner,
    name: id.name,
    tagName: tag.name,
    target: tag.target,
    description: tag.description,
    authorName: tag.author.name,
    authorEmail: tag.author.email,
    createdAt: new Date(tag.createdAt),
  };
}

/** What `recordStatement` writes: each part optional. */
interface RecordParts {
  readonly entry?: CatalogEntry;
  readonly keepCreatedAt?: boolean | undefined;
  readonly descriptors?: readonly CachedDescriptor[];
  readonly events?: readonly MetastoreEvent[];
}

/**
 * One statement writing the dataset's row (upserted; `keepCreatedAt`: a live row keeps its creation time) and its keywords,
 * the cached descriptors and the outbox events, each a data-modifying CTE of it (all see one snapshot, and the keywords'
 * foreign key is checked at its end, after the row is written); undefined when there is nothing to write. One round trip
 * where Prisma's calls were five, and no query compilation: this is every write's statement.
 *
 * dataset_keywords holds the keywords of every dataset that is not deleted: those no longer listed go, new ones come;
 * unchanged ones are left alone (no dead rows). Events come in one INSERT ... SELECT in list order, so their sequences
 * are drawn in that order; a relay that published 162 while 161's transaction was still open would later see 161 below
 * the stream's high-water mark, and drop it, so the rows are produced only once the outbox append lock is held shared
 * (until commit: appends to other datasets go on side by side; readers wait for them with it held exclusively, then read
 * only the sequences drawn before: `PostgresOutbox.settledSequence`). It is the transaction's last statement, so the lock
 * is held briefly.
 */
function recordStatement(dataset: DatasetId, parts: RecordParts): Prisma.Sql | undefined {
  const { owner, name } = dataset;
  const ctes: Prisma.Sql[] = [];
  if (parts.entry) {
    // The update's dataset is the key, whatever id the entry carries.
    const row = { ...toDatasetRow(parts.entry), owner, name };
    const keywords = row.deleted ? [] : [...new Set(row.keywords)];
    const createdAt = parts.keepCreatedAt
      ? Prisma.sql`CASE WHEN datasets.deleted THEN EXCLUDED.created_at ELSE datasets.created_at END`
      : Prisma.sql`EXCLUDED.created_at`;
    ctes.push(
      Prisma.sql`upserted AS (
        INSERT INTO datasets (owner, name, backend, location, head_revision, title, description, keywords, licenses, resource_count,
          created_at, updated_at, deleted)
        VALUES (${owner}, ${name}, ${row.backend}, ${row.location}, ${row.headRevision}, ${row.title}, ${row.description},
          ${row.keywords}::text[], ${row.licenses}::text[], ${row.resourceCount}::int, ${row.createdAt}::timestamptz,
          ${row.updatedAt}::timestamptz, ${row.deleted})
        ON CONFLICT (owner, name) DO UPDATE SET backend = EXCLUDED.backend, location = EXCLUDED.location,
          head_revision = EXCLUDED.head_revision, title = EXCLUDED.title, description = EXCLUDED.description,
          keywords = EXCLUDED.keywords, licenses = EXCLUDED.licenses, resource_count = EXCLUDED.resource_count,
          created_at = ${createdAt}, updated_at = EXCLUDED.updated_at, deleted = EXCLUDED.deleted)`,
      Prisma.sql`wanted AS (SELECT DISTINCT unnest(${keywords}::text[]) AS keyword)`,
      Prisma.sql`gone AS (DELETE FROM dataset_keywords WHERE owner = ${owner} AND name = ${name} AND keyword NOT IN (SELECT keyword FROM wanted))`,
      Prisma.sql`kept AS (INSERT INTO dataset_keywords (keyword, owner, name) SELECT keyword, ${owner}, ${name} FROM wanted ON CONFLICT DO NOTHING)`,
    );
  }
  if (parts.descriptors?.length) {
    ctes.push(
      Prisma.sql`cached AS (INSERT INTO descriptors (owner, name, revision, source)
        SELECT ${owner}, ${name}, revision, source FROM unnest(${parts.descriptors.map((descriptor) => descriptor.revision)}::text[],
          ${parts.descriptors.map((descriptor) => descriptor.source)}::text[]) AS given (revision, source)
        ON CONFLICT DO NOTHING)`,
    );
  }
  if (parts.events?.length) {
    const events = parts.events;
    ctes.push(
      Prisma.sql`append_lock AS (SELECT pg_advisory_xact_lock_shared(${OUTBOX_APPEND_LOCK_KEY}) AS locked)`,
      // jsonb cannot hold U+0000 either (eventFromChange already leaves none).
      Prisma.sql`appended AS (INSERT INTO outbox_events (event_id, owner, name, type, payload)
        SELECT given.event_id::uuid, ${owner}, ${name}, given.type, given.payload::jsonb
        FROM append_lock CROSS JOIN unnest(${events.map((event) => event.id)}::text[], ${events.map((event) => event.type)}::text[],
          ${events.map((event) => JSON.stringify(withoutNul(event)))}::text[]) WITH ORDINALITY AS given (event_id, type, payload, position)
        ORDER BY given.position)`,
    );
  }
  if (ctes.length === 0) return undefined;
  return Prisma.sql`WITH ${Prisma.join(ctes, ',\n')} SELECT 1`;
}

/** Cuts rows fetched with one extra into a page whose cursor is the last returned row's sort key. */
function toPage<Row extends DatasetRow>(rows: readonly Row[], limit: number, cursorOf: (row: Row) => SearchCursor): Page<CatalogEntry> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toEntry),
    ...(rows.length > limit && last ? { nextCursor: encodeCursor(cursorOf(last)) } : {}),
  };
}

/**
 * The catalog in PostgreSQL through Prisma: one row per dataset (full-text indexed), cached descriptors,
 * tags, and the outbox table that `apply` appends to in the same transaction. Built by `createCatalogDatabase`.
 */
export class PostgresCatalogStore implements CatalogStore {
  /** Statistics and vacuuming (see CatalogMaintenance): checked at start, and after many changes where no autovacuum runs. */
  readonly maintenance: CatalogMaintenance;

  constructor(
    private readonly prisma: PrismaClient,
    /** The connection URL, only to keep its password out of error messages. */
    private readonly url: string,
    private readonly transactions: TransactionLimits,
    private readonly options: CatalogStoreOptions = DEFAULT_CATALOG_STORE_OPTIONS,
  ) {
    this.maintenance = new CatalogMaintenance(prisma, options.maintenanceMinChanges);
  }

  /**
   * One transaction: the expectation checked under the dataset's advisory lock (one query for the head; the tags read only
   * when expected), then the rare parts (a deletion, tag changes) as statements of their own, then the row, its keywords,
   * the cached descriptors and the events in one statement (`recordStatement`). An update of a dataset's head is five
   * round trips: BEGIN, lock, head, that statement, COMMIT.
   */
  async apply(update: CatalogUpdate): Promise<ApplyOutcome> {
    const { owner, name } = update.dataset;
    // An entry with a deletion is written before it, as its own statement (the deletion wins); alone, with the rest.
    const entryFirst = update.entry && update.deletedAt ? update.entry : undefined;
    const outcome = await guarded(this.url, 'apply a catalog update', () =>
      this.prisma.$transaction(
        async (tx): Promise<ApplyOutcome> => {
          if (update.expect) {
            // One writer at a time per dataset checks and applies (the row may not exist yet: a row lock would not do).
            await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(${DATASET_LOCK_CLASS}::int, hashtext(${formatDatasetId(update.dataset)}))`;
            const expectsTags = update.expect.tag !== undefined || update.expect.allTags !== undefined;
            const [rows, tags] = await Promise.all([
              tx.$queryRaw<
                { head: string }[]
              >`SELECT head_revision AS head FROM datasets WHERE owner = ${owner} AND name = ${name} AND NOT deleted`,
              expectsTags ? tx.tag.findMany({ where: { owner, name } }) : [],
            ]);
            const state = { head: rows[0]?.head ?? null, tags: tags.map(toTag) };
            if (!meetsExpectation(update.expect, state)) return 'stale';
          }
          if (entryFirst)
            await tx.$executeRaw(recordStatement(update.dataset, { entry: entryFirst, keepCreatedAt: update.keepCreatedAt })!);
          if (update.deletedAt) {
            await tx.dataset.updateMany({ where: { owner, name }, data: { deleted: true } });
            await tx.datasetKeyword.deleteMany({ where: { owner, name } });
            await tx.descriptor.deleteMany({ where: { owner, name } });
            await tx.tag.deleteMany({ where: { owner, name } });
          }
          if (update.replaceAllTags) {
            await tx.tag.deleteMany({ where: { owner, name } });
            if (update.replaceAllTags.length > 0) {
              await tx.tag.createMany({ data: update.replaceAllTags.map((tag) => toTagRow(update.dataset, tag)) });
            }
          }
          for (const tag of update.upsertTags ?? []) {
            const row = toTagRow(update.dataset, tag);
            await tx.tag.upsert({ where: { owner_name_tagName: { owner, name, tagName: tag.name } }, create: row, update: row });
          }
          if (update.removeTags?.length) {
            await tx.tag.deleteMany({ where: { owner, name, tagName: { in: [...update.removeTags] } } });
          }
          const record = recordStatement(update.dataset, {
            ...(update.entry && !entryFirst ? { entry: update.entry, keepCreatedAt: update.keepCreatedAt } : {}),
            // A source holding U+0000 cannot be stored as text: reads of that revision go to storage.
            descriptors: (update.descriptors ?? []).filter((descriptor) => isCacheable(descriptor.source)),
            events: update.events ?? [],
          });
          if (record) await tx.$executeRaw(record);
          return 'applied';
        },
        { maxWait: this.transactions.maxWaitMs, timeout: this.transactions.timeoutMs },
      ),
    );
    if (outcome === 'applied' && (update.entry || update.deletedAt)) this.maintenance.recordChanges(1);
    return outcome;
  }

  async getDataset(id: DatasetId): Promise<CatalogEntry | undefined> {
    const row = await guarded(this.url, 'read a dataset', () =>
      this.prisma.dataset.findUnique({ where: { owner_name: { owner: id.owner, name: id.name } } }),
    );
    return row ? toEntry(row) : undefined;
  }

  async search(query: SearchQuery): Promise<Page<CatalogEntry>> {
    const text = query.q?.trim() ? query.q : undefined;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, text !== undefined);
    if (text === undefined || after?.byKey) return this.searchByKey(query, text, after);
    const ranked = await this.searchRanked(query, text, after);
    // Too many matches to rank: (owner, name) order, from the start, or (a ranked search whose matches grew past the
    // limit between pages, or a cursor of another search) after the cursor's dataset.
    return ranked ?? this.searchByKey(query, text, after && { owner: after.owner, name: after.name });
  }

  /** Filters on the datasets row (`d`) of a search, but for the keyword, which each query applies its own way. */
  private datasetFilters(query: SearchQuery, text: string | undefined, withOwner: boolean): Prisma.Sql[] {
    const filters: Prisma.Sql[] = [Prisma.sql`NOT d.deleted`];
    if (withOwner && query.owner !== undefined) filters.push(Prisma.sql`d.owner = ${query.owner}`);
    if (query.updatedSince !== undefined) filters.push(Prisma.sql`d.updated_at >= ${query.updatedSince}`);
    if (text !== undefined) filters.push(Prisma.sql`d.search_vector @@ websearch_to_tsquery(${TEXT_SEARCH_CONFIG}, ${text})`);
    return filters;
  }

  /**
   * A page in (owner, name) order: a listing, or a text search with too many matches to rank. Index-driven whatever
   * the filters' selectivity: with a keyword, a walk of dataset_keywords' primary key from (keyword, cursor), each row
   * joined to its dataset by primary key (LATERAL ... LIMIT 1: always a nested loop, never a merge join that would
   * read the datasets from the first key on); without, a walk of the datasets' primary key.
   */
  private async searchByKey(query: SearchQuery, text: string | undefined, after: SearchCursor | undefined): Promise<Page<CatalogEntry>> {
    const fetch = query.limit + 1;
    const cursorOf = (row: DatasetRow): SearchCursor => ({
      owner: row.owner,
      name: row.name,
      ...(text !== undefined ? { byKey: true as const } : {}),
    });
    if (query.keyword !== undefined) {
      const keyFilters: Prisma.Sql[] = [Prisma.sql`k.keyword = ${query.keyword}`];
      if (query.owner !== undefined) keyFilters.push(Prisma.sql`k.owner = ${query.owner}`);
      if (after) keyFilters.push(Prisma.sql`(k.owner, k.name) > (${after.owner}, ${after.name})`);
      const rows = await guarded(
        this.url,
        'search the catalog',
        () =>
          this.prisma.$queryRaw<DatasetRow[]>`
          SELECT d.* FROM dataset_keywords k
          CROSS JOIN LATERAL (
            SELECT ${DATASET_COLUMNS} FROM datasets d
            WHERE d.owner = k.owner AND d.name = k.name AND ${Prisma.join(this.datasetFilters(query, text, false), ' AND ')}
            LIMIT 1
          ) d
          WHERE ${Prisma.join(keyFilters, ' AND ')}
          ORDER BY k.owner, k.name
          LIMIT ${fetch}`,
      );
      return toPage(rows, query.limit, cursorOf);
    }
    const filters = this.datasetFilters(query, text, true);
    if (after) filters.push(Prisma.sql`(d.owner, d.name) > (${after.owner}, ${after.name})`);
    const rows = await guarded(
      this.url,
      'search the catalog',
      () =>
        this.prisma.$queryRaw<DatasetRow[]>`
        SELECT ${DATASET_COLUMNS} FROM datasets d
        WHERE ${Prisma.join(filters, ' AND ')}
        ORDER BY d.owner, d.name
        LIMIT ${fetch}`,
    );
    return toPage(rows, query.limit, cursorOf);
  }

  /**
   * A page of a text search in relevance order, or undefined when it matches more than `maxRankedMatches` datasets.
   * At most that many plus one matches are read (LIMIT inside), and only they are ranked, so the cost is bounded
   * however common the words; `matched` (a window count over them) tells whether the limit was reached.
   */
  private async searchRanked(query: SearchQuery, text: string, after: SearchCursor | undefined): Promise<Page<CatalogEntry> | undefined> {
    const filters = this.datasetFilters(query, text, true);
    if (query.keyword !== undefined) {
      filters.push(
        Prisma.sql`EXISTS (SELECT 1 FROM dataset_keywords k WHERE k.keyword = ${query.keyword} AND k.owner = d.owner AND k.name = d.name)`,
      );
    }
    // The rank is compared as float8: ts_rank's real widens exactly, and a JavaScript number holds a float8 exactly.
    const position = after
      ? Prisma.sql`WHERE rank < ${after.rank ?? 0}::float8 OR (rank = ${after.rank ?? 0}::float8 AND (owner, name) > (${after.owner}, ${after.name}))`
      : Prisma.empty;
    const limit = this.options.maxRankedMatches;
    const rows = await guarded(
      this.url,
      'search the catalog',
      () =>
        this.prisma.$queryRaw<(DatasetRow & { rank: number; matched: bigint })[]>`
        SELECT ${DATASET_FIELDS}, rank, matched FROM (
          SELECT m.*, ts_rank(m.search_vector, websearch_to_tsquery(${TEXT_SEARCH_CONFIG}, ${text}))::float8 AS rank, count(*) OVER () AS matched
          FROM (
            SELECT ${DATASET_COLUMNS}, search_vector FROM datasets d
            WHERE ${Prisma.join(filters, ' AND ')}
            LIMIT ${limit + 1}
          ) AS m
        ) AS ranked
        ${position}
        ORDER BY rank DESC, owner, name
        LIMIT ${query.limit + 1}`,
    );
    if (rows.length > 0 && Number(rows[0]!.matched) > limit) return undefined;
    return toPage(rows, query.limit, (row) => ({ owner: row.owner, name: row.name, rank: row.rank }));
  }

  async scan(page: PageRequest): Promise<Page<CatalogEntry>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, false);
    const position = after ? Prisma.sql`WHERE (owner, name) > (${after.owner}, ${after.name})` : Prisma.empty;
    const rows = await guarded(
      this.url,
      'scan the catalog',
      () =>
        this.prisma.$queryRaw<DatasetRow[]>`
        SELECT ${DATASET_COLUMNS} FROM datasets
        ${position}
        ORDER BY owner, name
        LIMIT ${page.limit + 1}`,
    );
    return toPage(rows, page.limit, (row) => ({ owner: row.owner, name: row.name }));
  }

  async descriptorAt(id: DatasetId, revision: string): Promise<string | undefined> {
    const row = await guarded(this.url, 'read a cached descriptor', () =>
      this.prisma.descriptor.findUnique({
        where: { owner_name_revision: { owner: id.owner, name: id.name, revision } },
        select: { source: true },
      }),
    );
    return row?.source;
  }

  async getTag(id: DatasetId, name: string): Promise<Tag | undefined> {
    const row = await guarded(this.url, 'read a tag', () =>
      this.prisma.tag.findUnique({ where: { owner_name_tagName: { owner: id.owner, name: id.name, tagName: name } } }),
    );
    return row ? toTag(row) : undefined;
  }

  async listTags(id: DatasetId): Promise<readonly Tag[]> {
    const rows = await guarded(this.url, 'list tags', () =>
      this.prisma.tag.findMany({ where: { owner: id.owner, name: id.name }, orderBy: { tagName: 'asc' } }),
    );
    return rows.map(toTag);
  }

  /**
   * The outbox rows of the dataset's tag deletions and moves whose payload's `previousTag` has this name and target,
   * compared in full here (times as instants). No index serves the payload: no migration for it, since this runs only
   * when the journal drainer finds a tag absent that one of its entries expected (a rare, ambiguous case).
   */
  async announcedTagLeaving(id: DatasetId, tag: Tag): Promise<boolean> {
    const stored = withoutNul(tag);
    const rows = await guarded(
      this.url,
      'look for a tag change in the outbox',
      () =>
        this.prisma.$queryRaw<{ previousTag: Tag }[]>`
        SELECT payload->'data'->'previousTag' AS "previousTag" FROM outbox_events
        WHERE owner = ${id.owner} AND name = ${id.name} AND type IN ('tag.deleted', 'tag.updated')
          AND payload->'data'->'previousTag'->>'name' = ${stored.name}
          AND payload->'data'->'previousTag'->>'target' = ${stored.target}`,
    );
    return rows.some((row) => sameTag(row.previousTag, stored));
  }

  async checkReady(): Promise<void> {
    await guarded(this.url, 'answer', () => this.prisma.$queryRaw`SELECT 1`);
  }
}
