import { describeWebhookDeliveriesContract } from '@metastore/catalog/testing';
import { databaseForTests } from '../testing';
import { createCatalogDatabase } from './catalog-database';

describeWebhookDeliveriesContract('PostgreSQL', async (clock) => {
  const database = await databaseForTests();
  const db = createCatalogDatabase({ url: database.url, clock, ...(database.poolSize ? { poolSize: database.poolSize } : {}) });
  return {
    deliveries: db.webhookDeliveries,
    teardown: async () => {
      await db.close();
      await database.drop();
    },
  };
});
