import type { Request } from 'express';
import { parseDatasetId } from '@metastore/datasets';
import type { DatasetId } from '@metastore/storage';

/** The dataset named by the `:owner/:name` path parameters (validated). */
export function datasetIdOf(params: { readonly owner?: string; readonly name?: string }): DatasetId {
  return parseDatasetId(params.owner, params.name);
}

/** A wildcard path parameter (`*name`), whose segments may contain `/` (tag and resource names). */
export function wildcardParam(req: Request, name: string): string {
  const value = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}

/** The API path of a dataset, with each segment percent-encoded. */
export function datasetPath(id: DatasetId, ...rest: string[]): string {
  return ['/api/v1/datasets', id.owner, id.name, ...rest]
    .map((segment, index) => (index === 0 ? segment : encodeURIComponent(segment)))
    .join('/');
}

/** The dataset a request is about, as the policy sees it (raw path parameters: an invalid name is simply a dataset nobody may see). */
export function datasetTargetOf(req: Request): { owner: string; name: string } {
  return { owner: String(req.params['owner'] ?? ''), name: String(req.params['name'] ?? '') };
}
