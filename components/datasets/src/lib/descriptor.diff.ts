import { isDeepStrictEqual } from 'node:util';
import { isJsonObject, type Descriptor } from './descriptor.model';

/** What changed between two descriptors, at a glance: by resource name and top-level field. */
export interface DiffSummary {
  readonly resourcesAdded: readonly string[];
  readonly resourcesRemoved: readonly string[];
  readonly resourcesChanged: readonly string[];
  /** Top-level descriptor properties (other than `resources`) added, removed or changed. */
  readonly fieldsChanged: readonly string[];
}

function resourcesByName(descriptor: Descriptor): Map<string, unknown> {
  const resources = Array.isArray(descriptor['resources']) ? descriptor['resources'] : [];
  const byName = new Map<string, unknown>();
  resources.forEach((resource, index) => {
    const name = isJsonObject(resource) && typeof resource['name'] === 'string' ? resource['name'] : `#${index}`;
    byName.set(name, resource);
  });
  return byName;
}

/** Summarises a descriptor change by resource name and top-level field. */
export function summarizeDiff(from: Descriptor, to: Descriptor): DiffSummary {
  const before = resourcesByName(from);
  const after = resourcesByName(to);
  const fields = new Set([...Object.keys(from), ...Object.keys(to)]);
  fields.delete('resources');
  return {
    resourcesAdded: [...after.keys()].filter((name) => !before.has(name)).sort(),
    resourcesRemoved: [...before.keys()].filter((name) => !after.has(name)).sort(),
    resourcesChanged: [...after.keys()].filter((name) => before.has(name) && !isDeepStrictEqual(before.get(name), after.get(name))).sort(),
    fieldsChanged: [...fields].filter((field) => !isDeepStrictEqual(from[field], to[field])).sort(),
  };
}
