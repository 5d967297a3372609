import type { Action } from './scope.model';

/**
 * What an operation acts on, which decides the answer to a caller without the right:
 * - `public`: anyone, no token needed (probes, metrics, API descriptions);
 * - `listing`: every authenticated caller (and anonymous ones when anonymous reads of public datasets are on);
 *   each listed dataset is then filtered with `canRead`;
 * - `dataset`: an existing dataset, `{ owner, name }`; a caller with no right at all on it is told it does not exist
 *   (DATASET_NOT_FOUND);
 * - `newDataset`: a dataset being created; nothing exists to hide, so a caller without the right is FORBIDDEN;
 * - `ownerOrDataset`: a dataset (as `dataset`) or, without `name`, every dataset of the owner (FORBIDDEN without the right);
 * - `owner`: every dataset of one owner, `{ owner }`, or of every owner with `*` (the instance); FORBIDDEN without the
 *   right, whether or not the owner has any dataset, so the answer never tells an owner that exists from one that does not.
 */
export type TargetKind = 'public' | 'listing' | 'dataset' | 'newDataset' | 'ownerOrDataset' | 'owner';

/** The access rule of one operation: the action it needs and what it acts on. */
export type OperationPolicy =
  | { readonly target: 'public'; readonly summary: string }
  | { readonly target: Exclude<TargetKind, 'public'>; readonly action: Action; readonly summary: string };

/**
 * Every API endpoint's operation (its OpenAPI operationId; the API checks that each is used by one endpoint) and the
 * `setAuthor` right, with its policy.
 */
export const OPERATIONS = {
  health: { target: 'public', summary: 'liveness probe (GET /healthz)' },
  readiness: { target: 'public', summary: 'readiness probe (GET /readyz)' },
  metrics: { target: 'public', summary: 'Prometheus metrics (GET /metrics)' },
  openApiDocument: { target: 'public', summary: 'the OpenAPI description (GET /openapi.json)' },
  asyncApiDocument: { target: 'public', summary: 'the AsyncAPI description (GET /asyncapi.json)' },
  docs: { target: 'public', summary: 'the browsable API docs (/docs)' },

  listDatasets: { target: 'listing', action: 'read', summary: 'list and search datasets' },
  // Touches no dataset: whoever may list (every authenticated caller; anonymous ones when anonymous reads are on) may check a descriptor.
  validateDescriptor: { target: 'listing', action: 'read', summary: 'validate a descriptor without writing it' },
  createDataset: { target: 'newDataset', action: 'write', summary: 'create a dataset' },
  readDataset: { target: 'dataset', action: 'read', summary: 'read a dataset' },
  replaceDataset: { target: 'dataset', action: 'write', summary: 'replace a dataset' },
  patchDataset: { target: 'dataset', action: 'write', summary: 'patch a dataset' },
  deleteDataset: { target: 'dataset', action: 'delete', summary: 'delete a dataset' },
  readResource: { target: 'dataset', action: 'read', summary: 'read a resource' },
  listRevisions: { target: 'dataset', action: 'read', summary: 'list revisions' },
  getRevision: { target: 'dataset', action: 'read', summary: 'read a revision' },
  diffRevisions: { target: 'dataset', action: 'read', summary: 'diff revisions' },
  revertDataset: { target: 'dataset', action: 'write', summary: 'revert a dataset' },
  listTags: { target: 'dataset', action: 'read', summary: 'list tags' },
  getTag: { target: 'dataset', action: 'read', summary: 'read a tag' },
  createTag: { target: 'dataset', action: 'tag', summary: 'create a tag' },
  updateTag: { target: 'dataset', action: 'tag', summary: 'update a tag' },
  deleteTag: { target: 'dataset', action: 'tag', summary: 'delete a tag' },

  // The feed is filtered by owner, never per dataset (that would mean reading each event): a caller who may read every
  // dataset of the owner asked for (or of every owner, without one) learns nothing new from it, so read suffices there
  // (an indexer needs no admin right; an owner's admin follows that owner's feed).
  listEvents: { target: 'owner', action: 'read', summary: 'replay change events' },
  mintScopedToken: { target: 'ownerOrDataset', action: 'admin', summary: 'mint a scoped token' },
  // Its holder may revoke a token; anyone else needs minting's right over everything it reaches (`mayRevoke`).
  revokeToken: { target: 'ownerOrDataset', action: 'admin', summary: 'revoke a token' },
  // A git host's webhook carries no token: it is authenticated by its signature (GitHub's HMAC, GitLab's secret token),
  // which the handler checks before it reads anything else, so the policy itself is public.
  receiveGitHubWebhook: { target: 'public', summary: "receive GitHub's push, tag and repository webhooks" },
  receiveGitLabWebhook: { target: 'public', summary: "receive GitLab's push, tag and repository webhooks" },
  setAuthor: { target: 'dataset', action: 'admin', summary: 'write as another author' },
} as const satisfies Record<string, OperationPolicy>;

/** The id of an operation in `OPERATIONS` (the OpenAPI operationId where there is one). */
export type OperationId = keyof typeof OPERATIONS;

/** Every operation id, in table order. */
export const OPERATION_IDS = Object.keys(OPERATIONS) as OperationId[];

/** Whether a string names an operation in `OPERATIONS` (for checking that every route has a policy). */
export function isOperationId(value: string): value is OperationId {
  return Object.hasOwn(OPERATIONS, value);
}
