import { randomBytes } from 'node:crypto';
import type { SyncWatermarkStore } from '../lib/sync-watermark.port';

/** A watermark store under test and how to dispose of it. */
export interface SyncWatermarkStoreUnderTest {
  readonly store: SyncWatermarkStore;
  readonly teardown?: () => Promise<void>;
}

/** The behaviour every SyncWatermarkStore adapter must show: per backend and owner, replaced whole, values kept byte for byte. */
export function describeSyncWatermarkStoreContract(label: string, setup: () => Promise<SyncWatermarkStoreUnderTest>): void {
  describe(`SyncWatermarkStore contract: ${label}`, () => {
    let underTest: SyncWatermarkStoreUnderTest;
    beforeAll(async () => {
      underTest = await setup();
    }, 120_000);
    afterAll(async () => {
      await underTest?.teardown?.();
    }, 60_000);
    const owner = () => `owner-${randomBytes(6).toString('hex')}`;

    it('has no watermark for an owner never synced', async () => {
      expect(await underTest.store.get('github', owner())).toBeUndefined();
    });

    it('stores a watermark per backend and owner, and a second put replaces the first whole', async () => {
      const acme = owner();
      const value = JSON.stringify({ v: 1, pushedAt: 1_700_000_000_000, firstEtag: 'W/"abc"', note: 'ünïcode \u2028 kept' });
      const first = {
        backend: 'github',
        owner: acme,
        value,
        fullSyncAt: new Date('2026-01-02T03:04:05.678Z'),
        updatedAt: new Date('2026-01-02T03:05:00.000Z'),
      };
      await underTest.store.put(first);
      await underTest.store.put({ ...first, backend: 'gitlab', value: 'other' });
      expect(await underTest.store.get('github', acme)).toEqual(first);
      const second = { ...first, value: '{"v":1}', updatedAt: new Date('2026-01-03T00:00:00.000Z') };
      await underTest.store.put(second);
      expect(await underTest.store.get('github', acme)).toEqual(second);
      expect((await underTest.store.get('gitlab', acme))?.value).toBe('other');
      const listed = (await underTest.store.list()).filter((watermark) => watermark.owner === acme);
      expect(listed.map((watermark) => [watermark.backend, watermark.value])).toEqual([
        ['github', '{"v":1}'],
        ['gitlab', 'other'],
      ]);
    });

    it('keeps owners apart, even those differing only in case', async () => {
      const base = owner();
      const at = new Date('2026-02-01T00:00:00.000Z');
      await underTest.store.put({ backend: 'github', owner: base, value: 'lower', fullSyncAt: at, updatedAt: at });
      await underTest.store.put({ backend: 'github', owner: base.toUpperCase(), value: 'upper', fullSyncAt: at, updatedAt: at });
      expect((await underTest.store.get('github', base))?.value).toBe('lower');
      expect((await underTest.store.get('github', base.toUpperCase()))?.value).toBe('upper');
    });
  });
}
