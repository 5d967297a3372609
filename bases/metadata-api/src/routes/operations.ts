import type { Operation } from '../http/operation';
import { DATASET_OPERATIONS } from './datasets.router';
import { EVENT_OPERATIONS } from './events.router';
import { HEALTH_OPERATIONS } from './health.router';
import { REVISION_OPERATIONS } from './revisions.router';
import { TAG_OPERATIONS } from './tags.router';
import { TOKEN_OPERATIONS } from './tokens.router';

/** Every operation of the API, in the order of /openapi.json: the routes, their validation and the document's paths come from these. */
export const API_OPERATIONS: readonly Operation[] = [
  ...HEALTH_OPERATIONS,
  ...TOKEN_OPERATIONS,
  ...EVENT_OPERATIONS,
  ...DATASET_OPERATIONS,
  ...REVISION_OPERATIONS,
  ...TAG_OPERATIONS,
];
