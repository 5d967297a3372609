import { describeSyncWatermarkStoreContract } from '@metastore/catalog/testing';
import { databaseForTests } from '../testing';
import { createCatalogDatabase } from './catalog-database';

describeSyncWatermarkStoreContract('PostgreSQL', async () => {
  const database = await databaseForTests();
  const db = createCatalogDatabase({ url: database.url, ...(database.poolSize ? { poolSize: database.poolSize } : {}) });
  return {
    store: db.watermarks,
    teardown: async () => {
      await db.close();
      await database.drop();
    },
  };
});
