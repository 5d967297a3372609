export { databaseForTests } from './testing/test-database';
export type { TestDatabase, TestDatabaseOptions } from './testing/test-database';
export { seedCatalog } from './testing/seed-catalog';
export { withClient } from './testing/pg-client';
