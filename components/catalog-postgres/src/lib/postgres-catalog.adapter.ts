import type { CatalogEntry, CatalogStore, CatalogUpdate, SearchQuery } from '@metastore/catalog';
import type { DatasetId, Page, PageRequest, Tag } from '@metastore/storage';
import { Prisma, type Dataset as DatasetRow, type PrismaClient, type Tag as TagRow } from '../generated/prisma/client';
import { guarded } from './database-errors';
import { decodeCursor, encodeCursor, type SearchCursor } from './search-cursor';

/** Interactive-transaction limits of `apply`: waiting for a pooled connection, and the whole transaction. */
export interface ApplyTransactionOptions {
  readonly maxWaitMs: number;
  readonly timeoutMs: number;
}

/** The dataset columns, aliased to the Prisma model's field names so raw rows and model rows map alike. */
const DATASET_COLUMNS = Prisma.sql`owner, name, backend, location, head_revision AS "headRevision", title, description,
  keywords, licenses, resource_count AS "resourceCount", created_at AS "createdAt", updated_at AS "updatedAt", deleted`;

/** The text-search configuration of the `search_vector` column (see the init migration): queries must use the same. */
/** Serialises appends to the outbox (see `apply`). */
export const OUTBOX_APPEND_LOCK_KEY = 0x4d534f5554415050n;

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

function toDatasetRow(entry: CatalogEntry): DatasetRow {
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
  constructor(
    private readonly prisma: PrismaClient,
    /** The connection URL, only to keep its password out of error messages. */
    private readonly url: string,
    private readonly transactions: ApplyTransactionOptions,
  ) {}

  async apply(update: CatalogUpdate): Promise<void> {
    const { owner, name } = update.dataset;
    await guarded(this.url, 'apply a catalog update', () =>
      this.prisma.$transaction(
        async (tx) => {
          if (update.entry) {
            // The update's dataset is the key, whatever id the entry carries.
            const row = { ...toDatasetRow(update.entry), owner, name };
            await tx.dataset.upsert({ where: { owner_name: { owner, name } }, create: row, update: row });
          }
          if (update.deletedAt) {
            await tx.dataset.updateMany({ where: { owner, name }, data: { deleted: true } });
            await tx.descriptor.deleteMany({ where: { owner, name } });
            await tx.tag.deleteMany({ where: { owner, name } });
          }
          if (update.descriptors?.length) {
            await tx.descriptor.createMany({
              data: update.descriptors.map((descriptor) => ({ owner, name, revision: descriptor.revision, source: descriptor.source })),
              skipDuplicates: true,
            });
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
          if (update.events?.length) {
            // Sequences must become visible in order: a relay that published 162 while 161's transaction was still open
            // would later see 161 below the stream's high-water mark, and it would be dropped. Appending under a lock held
            // until commit makes commit order equal sequence order. Events are the last step, so nothing waits while holding it.
            await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(${OUTBOX_APPEND_LOCK_KEY})`;
            // One multi-row INSERT: sequences are drawn in list order, so the outbox keeps the events' order.
            await tx.outboxEvent.createMany({
              data: update.events.map((event) => ({
                eventId: event.id,
                owner,
                name,
                type: event.type,
                payload: event as unknown as Prisma.InputJsonObject,
              })),
            });
          }
        },
        { maxWait: this.transactions.maxWaitMs, timeout: this.transactions.timeoutMs },
      ),
    );
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
    const filters: Prisma.Sql[] = [Prisma.sql`NOT deleted`];
    if (query.owner !== undefined) filters.push(Prisma.sql`owner = ${query.owner}`);
    // `@>` (array contains) is what the GIN index on keywords serves; `= ANY(keywords)` would scan.
    if (query.keyword !== undefined) filters.push(Prisma.sql`keywords @> ARRAY[${query.keyword}]::text[]`);
    if (query.updatedSince !== undefined) filters.push(Prisma.sql`updated_at >= ${query.updatedSince}`);
    const fetch = query.limit + 1;

    if (text === undefined) {
      if (after) filters.push(Prisma.sql`(owner, name) > (${after.owner}, ${after.name})`);
      const rows = await guarded(this.url, 'search the catalog', () =>
        this.prisma.$queryRaw<DatasetRow[]>`
          SELECT ${DATASET_COLUMNS} FROM datasets
          WHERE ${Prisma.join(filters, ' AND ')}
          ORDER BY owner, name
          LIMIT ${fetch}`,
      );
      return toPage(rows, query.limit, (row) => ({ owner: row.owner, name: row.name }));
    }

    filters.push(Prisma.sql`search_vector @@ query`);
    // The rank is compared as float8: ts_rank's real widens exactly, and a JavaScript number holds a float8 exactly.
    const position = after
      ? Prisma.sql`WHERE rank < ${after.rank ?? 0}::float8 OR (rank = ${after.rank ?? 0}::float8 AND (owner, name) > (${after.owner}, ${after.name}))`
      : Prisma.empty;
    const rows = await guarded(this.url, 'search the catalog', () =>
      this.prisma.$queryRaw<(DatasetRow & { rank: number })[]>`
        SELECT * FROM (
          SELECT ${DATASET_COLUMNS}, ts_rank(search_vector, query)::float8 AS rank
          FROM datasets, websearch_to_tsquery(${TEXT_SEARCH_CONFIG}, ${text}) AS query
          WHERE ${Prisma.join(filters, ' AND ')}
        ) AS ranked
        ${position}
        ORDER BY rank DESC, owner, name
        LIMIT ${fetch}`,
    );
    return toPage(rows, query.limit, (row) => ({ owner: row.owner, name: row.name, rank: row.rank }));
  }

  async scan(page: PageRequest): Promise<Page<CatalogEntry>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, false);
    const position = after ? Prisma.sql`WHERE (owner, name) > (${after.owner}, ${after.name})` : Prisma.empty;
    const rows = await guarded(this.url, 'scan the catalog', () =>
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

  async checkReady(): Promise<void> {
    await guarded(this.url, 'answer', () => this.prisma.$queryRaw`SELECT 1`);
  }
}
