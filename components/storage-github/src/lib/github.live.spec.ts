import { describeDatasetStorageContract } from '@metastore/storage/testing';
import { GitHubStorage } from './github.adapter';
import { parseGitHubStorageConfig } from './github.config';

/**
 * Optional live mode: the same contract suite against real GitHub, in METASTORE_LIVE_GITHUB_ORG (a
 * throwaway organisation: the suite creates and deletes repositories there), authenticated with
 * METASTORE_LIVE_GITHUB_TOKEN, or as a GitHub App installed on that organisation with
 * METASTORE_LIVE_GITHUB_APP_ID and METASTORE_LIVE_GITHUB_APP_PRIVATE_KEY.
 */
const token = process.env['METASTORE_LIVE_GITHUB_TOKEN'];
const appId = process.env['METASTORE_LIVE_GITHUB_APP_ID'];
const appPrivateKey = process.env['METASTORE_LIVE_GITHUB_APP_PRIVATE_KEY'];
const organisation = process.env['METASTORE_LIVE_GITHUB_ORG'];

const modes: { label: string; credentials: Record<string, string> }[] = [];
if (token) modes.push({ label: 'token', credentials: { GITHUB_TOKEN: token } });
if (appId && appPrivateKey)
  modes.push({ label: `GitHub App ${appId}`, credentials: { GITHUB_APP_ID: appId, GITHUB_APP_PRIVATE_KEY: appPrivateKey } });

if (organisation && modes.length > 0) {
  jest.setTimeout(120_000);
  for (const mode of modes) {
    describeDatasetStorageContract(`github (live, organisation ${organisation}, ${mode.label})`, async () => ({
      storage: new GitHubStorage(
        parseGitHubStorageConfig({ ...mode.credentials, GITHUB_TOPIC: 'metastore-contract-test', GITHUB_OWNERS: organisation }),
      ),
      fixedOwner: organisation,
      configuredOwners: [organisation],
    }));
  }
} else {
  describe('DatasetStorage contract: github (live)', () => {
    it.skip('skipped: set METASTORE_LIVE_GITHUB_ORG and METASTORE_LIVE_GITHUB_TOKEN (or METASTORE_LIVE_GITHUB_APP_ID and METASTORE_LIVE_GITHUB_APP_PRIVATE_KEY) to run the contract suite against real GitHub', () =>
      undefined);
  });
}
