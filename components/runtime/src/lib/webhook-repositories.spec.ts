import { loadApiConfig } from './runtime.config';
import { webhookDatasetOf } from './webhook-repositories';

const github = loadApiConfig({ STORAGE: 'github', GITHUB_TOKEN: 't', GITHUB_TOPIC: 'metastore-dataset' }).storage;
const gitlabRooted = loadApiConfig({ STORAGE: 'gitlab', GITLAB_TOKEN: 't', GITLAB_ROOT_GROUP: 'org/metastore' }).storage;
const gitlabFlat = loadApiConfig({ STORAGE: 'gitlab', GITLAB_TOKEN: 't' }).storage;
const local = loadApiConfig({}).storage;

describe('webhookDatasetOf', () => {
  it('maps a GitHub repository marked with the topic to the dataset owner/name', () => {
    expect(webhookDatasetOf(github, { host: 'github', path: 'acme/rain', topics: ['x', 'metastore-dataset'] })).toEqual({
      dataset: { owner: 'acme', name: 'rain' },
    });
  });

  it('ignores a GitHub repository without the topic, or whose name is no dataset id', () => {
    expect(webhookDatasetOf(github, { host: 'github', path: 'acme/rain', topics: [] })).toEqual({
      ignored: 'the repository is not marked as a dataset',
    });
    expect(webhookDatasetOf(github, { host: 'github', path: 'acme/.github', topics: ['metastore-dataset'] })).toHaveProperty('ignored');
  });

  it('maps a GitLab project below the root group, and without one a top-level owner/name', () => {
    expect(webhookDatasetOf(gitlabRooted, { host: 'gitlab', path: 'org/metastore/acme/rain' })).toEqual({
      dataset: { owner: 'acme', name: 'rain' },
    });
    expect(webhookDatasetOf(gitlabRooted, { host: 'gitlab', path: 'elsewhere/acme/rain' })).toEqual({
      ignored: 'the repository is outside the root group',
    });
    expect(webhookDatasetOf(gitlabRooted, { host: 'gitlab', path: 'org/metastore/acme/deeper/rain' })).toHaveProperty('ignored');
    expect(webhookDatasetOf(gitlabFlat, { host: 'gitlab', path: 'acme/rain' })).toEqual({ dataset: { owner: 'acme', name: 'rain' } });
  });

  it('ignores deliveries from a host the datasets are not stored on', () => {
    expect(webhookDatasetOf(local, { host: 'github', path: 'acme/rain', topics: ['metastore-dataset'] })).toEqual({
      ignored: 'datasets are not stored on github here',
    });
    expect(webhookDatasetOf(github, { host: 'gitlab', path: 'acme/rain' })).toHaveProperty('ignored');
  });
});

describe('the webhook secrets', () => {
  it('are optional, per host, and refused when short (naming the variable, never the value)', () => {
    expect(loadApiConfig({}).webhooks).toEqual({});
    const secret = 'a'.repeat(32);
    expect(loadApiConfig({ METASTORE_WEBHOOK_GITHUB_SECRET: secret }).webhooks).toEqual({ githubSecret: secret });
    expect(loadApiConfig({ METASTORE_WEBHOOK_GITLAB_SECRET: secret }).webhooks).toEqual({ gitlabSecret: secret });
    expect(() => loadApiConfig({ METASTORE_WEBHOOK_GITHUB_SECRET: 'short-secret' })).toThrow(/METASTORE_WEBHOOK_GITHUB_SECRET/);
    expect(() => loadApiConfig({ METASTORE_WEBHOOK_GITHUB_SECRET: 'short-secret' })).not.toThrow(/short-secret/);
  });
});
