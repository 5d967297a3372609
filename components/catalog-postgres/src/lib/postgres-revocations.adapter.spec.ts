import { databaseForTests, type TestDatabase } from '../testing';
import { createCatalogDatabase, type CatalogDatabase } from './catalog-database';

describe('PostgresRevocationList', () => {
  let database: TestDatabase;
  let db: CatalogDatabase;
  beforeAll(async () => {
    database = await databaseForTests();
    db = createCatalogDatabase({ url: database.url, ...(database.poolSize ? { poolSize: database.poolSize } : {}) });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  }, 60_000);

  it('remembers revoked token ids (idempotently) and forgets them once they would have expired anyway', async () => {
    const later = new Date(Date.now() + 3_600_000);
    expect(await db.revocations.isRevoked('jti-1')).toBe(false);
    await db.revocations.revoke('jti-1', later);
    await db.revocations.revoke('jti-1', later);
    expect(await db.revocations.isRevoked('jti-1')).toBe(true);
    await db.revocations.revoke('jti-old', new Date(Date.now() - 1000));
    await db.revocations.revoke('jti-2', later);
    expect(await db.revocations.isRevoked('jti-old')).toBe(false);
    expect(await db.revocations.isRevoked('jti-2')).toBe(true);
  });

  it('lists every revoked token id that has not expired (the whole list, for a cache that outlives an outage)', async () => {
    const later = new Date(Date.now() + 3_600_000);
    await db.revocations.revoke('jti-listed', later);
    const listed = await db.revocations.revokedTokenIds();
    expect(listed).toEqual(expect.arrayContaining(['jti-listed', 'jti-1', 'jti-2']));
    expect(listed).not.toContain('jti-old');
  });
});
