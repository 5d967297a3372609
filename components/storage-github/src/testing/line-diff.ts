// The line counting moved to the shared brick; openapi-validation.spec.ts still tests it from here.
export { countLineChanges } from '@metastore/git-host-test-server';
