import {
  DescriptorInvalidError,
  DomainError,
  NotFoundError,
  RevisionConflictError,
  StorageUnavailableError,
  ValidationError,
} from '../index';

describe('DomainError hierarchy', () => {
  it('keeps a stable code, a readable name and the cause', () => {
    const cause = new Error('ENOENT');
    const error = new NotFoundError('DATASET_NOT_FOUND', 'dataset acme/x does not exist', { cause });
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('DATASET_NOT_FOUND');
    expect(error.name).toBe('NotFoundError');
    expect(error.cause).toBe(cause);
  });

  it('moves validation pointers under a prefix without losing issues', () => {
    const error = new ValidationError('invalid', [
      { pointer: '/resources/0/path', message: 'bad path' },
      { pointer: '', message: 'root problem' },
    ]).underPointer('/descriptor');
    expect(error.issues).toEqual([
      { pointer: '/descriptor/resources/0/path', message: 'bad path' },
      { pointer: '/descriptor', message: 'root problem' },
    ]);
  });

  it('collects the issues a check throws, none when it passes, and rethrows any other error', () => {
    const issues = [{ pointer: '/name', message: 'bad name' }];
    expect(
      ValidationError.issuesOf(() => {
        throw new ValidationError('invalid', issues);
      }),
    ).toEqual(issues);
    expect(ValidationError.issuesOf(() => 'fine')).toEqual([]);
    const other = new Error('boom');
    expect(() =>
      ValidationError.issuesOf(() => {
        throw other;
      }),
    ).toThrow(other);
  });

  it('carries when to retry on an unavailable storage, only when known', () => {
    expect(new StorageUnavailableError('rate limited', { retryAfterSeconds: 42 }).retryAfterSeconds).toBe(42);
    expect(new StorageUnavailableError('disk gone').retryAfterSeconds).toBeUndefined();
  });

  it('names the dataset and the revision of an invalid stored descriptor, and how to repair it', () => {
    const error = new DescriptorInvalidError('acme/x', 'a'.repeat(40), 'not valid JSON');
    expect(error).toMatchObject({ code: 'DESCRIPTOR_INVALID', dataset: 'acme/x', revision: 'a'.repeat(40) });
    expect(error.message).toContain(`acme/x at revision ${'a'.repeat(40)} is not valid JSON`);
    expect(error.message).toMatch(/PUT|revert/);
  });

  it('names both revisions in a conflict', () => {
    const error = new RevisionConflictError('aaa', 'bbb');
    expect(error.message).toContain('aaa');
    expect(error.message).toContain('bbb');
    expect(error.code).toBe('REVISION_CONFLICT');
  });
});
