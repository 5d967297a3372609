import { describeDatasetStorageContract } from '@metastore/storage/testing';
import { GitHubStorage } from './github.adapter';
import { parseGitHubStorageConfig } from './github.config';

/**
 * Optional live mode: the same contract suite against real GitHub. Set METASTORE_LIVE_GITHUB_TOKEN and
 * METASTORE_LIVE_GITHUB_ORG (a throwaway organisation: the suite creates and deletes repositories there).
 */
const token = process.env['METASTORE_LIVE_GITHUB_TOKEN'];
const organisation = process.env['METASTORE_LIVE_GITHUB_ORG'];

if (token && organisation) {
  jest.setTimeout(120_000);
  describeDatasetStorageContract(`github (live, organisation ${organisation})`, async () => ({
    storage: new GitHubStorage(parseGitHubStorageConfig({ GITHUB_TOKEN: token, GITHUB_TOPIC: 'metastore-contract-test' })),
    fixedOwner: organisation,
  }));
} else {
  describe('DatasetStorage contract: github (live)', () => {
    it.skip('skipped: set METASTORE_LIVE_GITHUB_TOKEN and METASTORE_LIVE_GITHUB_ORG to run the contract suite against real GitHub', () => undefined);
  });
}
