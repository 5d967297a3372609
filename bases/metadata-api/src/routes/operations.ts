import type { Operation } from '../http/operation';
import { DATASET_OPERATIONS } from './datasets.router';
import { DOCUMENT_OPERATIONS } from './documents.router';
import { EVENT_OPERATIONS } from './events.router';
import { HEALTH_OPERATIONS } from './health.router';
import { HOOK_OPERATIONS } from './hooks.router';
import { REVISION_OPERATIONS } from './revisions.router';
import { TAG_OPERATIONS } from './tags.router';
import { TOKEN_OPERATIONS } from './tokens.router';

/**
 * Every endpoint the API serves, in the order of /openapi.json: the routes, their policies, their validation and the
 * document's paths come from these (the documents, docs and metrics are served but not documented).
 */
export const API_OPERATIONS: readonly Operation[] = [
  ...HEALTH_OPERATIONS,
  ...TOKEN_OPERATIONS,
  ...EVENT_OPERATIONS,
  ...DATASET_OPERATIONS,
  ...REVISION_OPERATIONS,
  ...TAG_OPERATIONS,
  ...HOOK_OPERATIONS,
  ...DOCUMENT_OPERATIONS,
];
