import type { Action } from './scope.model';

/** A caller's standing in one owner's namespace (or, under the owner `*`, in every namespace). */
export type Role = 'reader' | 'editor' | 'maintainer' | 'admin';

/** Every role, weakest first. */
export const ROLES: readonly Role[] = ['reader', 'editor', 'maintainer', 'admin'];

/**
 * The actions each role grants on every dataset of its owner: a reader reads; an editor also writes
 * (replace, patch, revert, create) and tags; a maintainer also deletes; an admin also administers
 * (mints scoped tokens, writes as another author).
 */
export const ROLE_ACTIONS: Readonly<Record<Role, readonly Action[]>> = {
  reader: ['read'],
  editor: ['read', 'write', 'tag'],
  maintainer: ['read', 'write', 'tag', 'delete'],
  admin: ['read', 'write', 'tag', 'delete', 'admin'],
};

/** Whether a value is a role name. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
