import { isOperationId, OPERATION_IDS, type OperationId } from '@metastore/authz';
import { API_OPERATIONS } from './operations';

/** The authz operations that are no endpoint: rights checked within one (`setAuthor`: `?author=` on a write). */
const RIGHTS_WITHOUT_ENDPOINT: readonly OperationId[] = ['setAuthor'];

describe('metadata-api operations: the declarations and authz OPERATIONS agree', () => {
  it('has every declaration name an authz operation, its own id', () => {
    const named = API_OPERATIONS.map(({ operationId, policy }) => ({ operationId, policy: policy.operation }));
    expect(named.filter(({ operationId, policy }) => !isOperationId(policy) || policy !== operationId)).toEqual([]);
    expect(named.length).toBeGreaterThanOrEqual(25);
  });

  it('uses every authz operation of an endpoint in exactly one declaration, and the rights in none', () => {
    const uses = new Map<string, number>();
    for (const { policy } of API_OPERATIONS) uses.set(policy.operation, (uses.get(policy.operation) ?? 0) + 1);
    const used = Object.fromEntries(OPERATION_IDS.map((id) => [id, uses.get(id) ?? 0]));
    expect(used).toEqual(Object.fromEntries(OPERATION_IDS.map((id) => [id, RIGHTS_WITHOUT_ENDPOINT.includes(id) ? 0 : 1])));
  });

  it('serves each method and path once', () => {
    const routes = API_OPERATIONS.map(({ method, path, mount }) => `${method} ${mount === 'root' ? '' : '/api/v1'}${path}`);
    expect(routes.filter((route, index) => routes.indexOf(route) !== index)).toEqual([]);
  });
});
