import { storageVariables } from './runtime.config';
import { STORAGE_BACKENDS } from './storage-backends';

describe('STORAGE’s description', () => {
  it('names every registered backend with its summary, in the registry’s order', () => {
    const { description } = storageVariables.shape.STORAGE.meta() as { description: string };
    const positions = STORAGE_BACKENDS.map((backend) => description.indexOf(`\`${backend.name}\` (${backend.summary}`));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((left, right) => left - right));
  });
});
