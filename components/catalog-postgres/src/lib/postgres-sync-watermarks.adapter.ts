import type { SyncWatermark, SyncWatermarkStore } from '@metastore/catalog';
import type { PrismaClient } from '../generated/prisma/client';
import { guarded } from './database-errors';

interface WatermarkRow {
  backend: string;
  owner: string;
  value: string;
  fullSyncAt: Date;
  updatedAt: Date;
}

/** The sync's watermarks in the catalog database's `sync_watermarks` table, one row per backend and owner. */
export class PostgresSyncWatermarkStore implements SyncWatermarkStore {
  constructor(
    private readonly prisma: PrismaClient,
    /** The connection URL, only to keep its password out of error messages. */
    private readonly url: string,
  ) {}

  async get(backend: string, owner: string): Promise<SyncWatermark | undefined> {
    const rows = await guarded(
      this.url,
      'read a sync watermark',
      () => this.prisma.$queryRaw<WatermarkRow[]>`
        SELECT backend, owner, value, full_sync_at AS "fullSyncAt", updated_at AS "updatedAt"
        FROM sync_watermarks WHERE backend = ${backend} AND owner = ${owner}`,
    );
    return rows[0] ? { ...rows[0] } : undefined;
  }

  async put(watermark: SyncWatermark): Promise<void> {
    const { backend, owner, value, fullSyncAt, updatedAt } = watermark;
    await guarded(this.url, 'store a sync watermark', async () => {
      await this.prisma.$executeRaw`
        INSERT INTO sync_watermarks (backend, owner, value, full_sync_at, updated_at)
        VALUES (${backend}, ${owner}, ${value}, ${fullSyncAt}, ${updatedAt})
        ON CONFLICT (backend, owner) DO UPDATE
        SET value = EXCLUDED.value, full_sync_at = EXCLUDED.full_sync_at, updated_at = EXCLUDED.updated_at`;
    });
  }

  async list(): Promise<SyncWatermark[]> {
    const rows = await guarded(
      this.url,
      'list the sync watermarks',
      () => this.prisma.$queryRaw<WatermarkRow[]>`
        SELECT backend, owner, value, full_sync_at AS "fullSyncAt", updated_at AS "updatedAt"
        FROM sync_watermarks ORDER BY backend, owner`,
    );
    return rows.map((row) => ({ ...row }));
  }
}
