import { describeDatasetStorageContract } from '@metastore/storage/testing';
import { GitLabStorage } from './gitlab.adapter';
import { parseGitLabStorageConfig } from './gitlab.config';

/**
 * Optional live mode: the same contract suite against a real GitLab (METASTORE_LIVE_GITLAB_URL, default gitlab.com) in
 * METASTORE_LIVE_GITLAB_ROOT_GROUP (a throwaway group: the suite creates subgroups and projects there and deletes projects),
 * authenticated with METASTORE_LIVE_GITLAB_TOKEN (scope `api`, Owner of the group).
 */
const token = process.env['METASTORE_LIVE_GITLAB_TOKEN'];
const rootGroup = process.env['METASTORE_LIVE_GITLAB_ROOT_GROUP'];
const url = process.env['METASTORE_LIVE_GITLAB_URL'];

if (token && rootGroup) {
  jest.setTimeout(120_000);
  describeDatasetStorageContract(`gitlab (live, ${url ?? 'https://gitlab.com'}, group ${rootGroup})`, async () => ({
    storage: new GitLabStorage(
      parseGitLabStorageConfig({
        GITLAB_URL: url,
        GITLAB_TOKEN: token,
        GITLAB_ROOT_GROUP: rootGroup,
        GITLAB_TOPIC: 'metastore-contract-test',
      }),
    ),
  }));
} else {
  describe('DatasetStorage contract: gitlab (live)', () => {
    it.skip('skipped: set METASTORE_LIVE_GITLAB_TOKEN and METASTORE_LIVE_GITLAB_ROOT_GROUP (and METASTORE_LIVE_GITLAB_URL for a self-managed instance) to run the contract suite against real GitLab', () =>
      undefined);
  });
}
