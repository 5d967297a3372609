import type { Principal } from '../lib/principal.model';
import type { Role } from '../lib/role.model';
import { parseScopes } from '../lib/scope.model';

/** A principal for tests: scopes given as strings, roles per owner; subject `user-1` and no name or email unless given. */
export function principalWith(options: {
  readonly subject?: string;
  readonly name?: string;
  readonly email?: string;
  readonly scopes?: readonly string[];
  readonly roles?: Readonly<Record<string, Role>>;
}): Principal {
  return {
    subject: options.subject ?? 'user-1',
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.email === undefined ? {} : { email: options.email }),
    scopes: parseScopes(options.scopes ?? []),
    roles: { ...options.roles },
  };
}
