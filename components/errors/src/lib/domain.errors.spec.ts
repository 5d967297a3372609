import { DomainError, NotFoundError, RevisionConflictError, ValidationError } from '../index';

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

  it('names both revisions in a conflict', () => {
    const error = new RevisionConflictError('aaa', 'bbb');
    expect(error.message).toContain('aaa');
    expect(error.message).toContain('bbb');
    expect(error.code).toBe('REVISION_CONFLICT');
  });
});
