import type { JournaledChange } from '@metastore/catalog';

/**
 * The entry the crash writer appends as `index` of `run`: a dataset update with a descriptor large enough for a kill to land inside the
 * write.
 */
export function crashEntry(run: number, index: number): JournaledChange {
  return {
    change: {
      type: 'dataset.updated',
      id: { owner: 'crash', name: `run-${run}` },
      backend: 'local',
      location: `repositories/crash/run-${run}.git`,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, index % 60)),
      origin: 'api',
      message: `${run}/${index}`,
      descriptorSource: JSON.stringify({ name: `run-${run}`, description: 'x'.repeat(64 * 1024) }),
    },
    update: { expect: { head: null } },
  };
}
