import { isOperationId, OPERATION_IDS, OPERATIONS } from './operations.model';

// Which of these the API's endpoints use, each exactly once, is checked by bases/metadata-api (routes/operations.spec.ts).
describe('OPERATIONS', () => {
  it('says what each operation needs, as the issue specifies', () => {
    const rules = Object.fromEntries(
      Object.entries(OPERATIONS).map(([id, policy]) => [id, 'action' in policy ? `${policy.action} on ${policy.target}` : policy.target]),
    );
    expect(rules).toEqual({
      health: 'public',
      readiness: 'public',
      metrics: 'public',
      openApiDocument: 'public',
      asyncApiDocument: 'public',
      docs: 'public',
      listDatasets: 'read on listing',
      validateDescriptor: 'read on listing',
      createDataset: 'write on newDataset',
      readDataset: 'read on dataset',
      readResource: 'read on dataset',
      listRevisions: 'read on dataset',
      getRevision: 'read on dataset',
      diffRevisions: 'read on dataset',
      listTags: 'read on dataset',
      getTag: 'read on dataset',
      replaceDataset: 'write on dataset',
      patchDataset: 'write on dataset',
      revertDataset: 'write on dataset',
      deleteDataset: 'delete on dataset',
      createTag: 'tag on dataset',
      updateTag: 'tag on dataset',
      deleteTag: 'tag on dataset',
      listEvents: 'read on owner',
      mintScopedToken: 'admin on ownerOrDataset',
      revokeToken: 'admin on ownerOrDataset',
      receiveGitHubWebhook: 'public',
      receiveGitLabWebhook: 'public',
      setAuthor: 'admin on dataset',
    });
  });

  it('lists its ids, and recognises only them', () => {
    expect(OPERATION_IDS).toEqual(Object.keys(OPERATIONS));
    expect(isOperationId('readDataset')).toBe(true);
    expect(isOperationId('toString')).toBe(false);
    expect(isOperationId('searchDatasets')).toBe(false);
  });

  it('describes every operation for denial messages', () => {
    expect(Object.values(OPERATIONS).filter((policy) => policy.summary.length === 0)).toEqual([]);
  });
});
