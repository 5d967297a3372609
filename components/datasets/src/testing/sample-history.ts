import type { Author, DatasetId } from '@metastore/storage';
import type { DatasetService, WriteOptions } from '../lib/dataset.service';

/** Authors the specs write as: two people through the API, and someone pushing to git directly. */
export const SAMPLE_AUTHORS = {
  ada: { name: 'Ada Lovelace', email: 'ada@example.com' },
  grace: { name: 'Grace Hopper', email: 'grace@example.com' },
  pusher: { name: 'Git Pusher', email: 'push@example.com' },
} as const satisfies Record<string, Author>;

/** The datasets of {@link writeSampleHistory}: two owners' worth, sorted as listings sort them. */
export const SAMPLE_DATASETS = {
  rain: { owner: 'acme', name: 'rain' },
  wind: { owner: 'acme', name: 'wind' },
  snow: { owner: 'polar', name: 'snow' },
  fog: { owner: 'zeta', name: 'fog' },
} as const satisfies Record<string, DatasetId>;

/** A small valid descriptor (v1 profile) titled `title`, with `extra` fields merged in. */
export function sampleDescriptor(title: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'sample',
    title,
    keywords: ['weather'],
    licenses: [{ name: 'CC-BY-4.0' }],
    resources: [{ name: 'daily', path: 'daily.csv' }],
    ...extra,
  };
}

/** The services {@link writeSampleHistory} writes through (RevisionService and TagService fit; datasets cannot import them). */
export interface SampleHistoryServices {
  readonly datasets: Pick<DatasetService, 'create' | 'patch' | 'delete'>;
  readonly revisions: { revert(id: DatasetId, ref: string, options: WriteOptions): Promise<unknown> };
  readonly tags: {
    create(id: DatasetId, input: { name: string; description?: string; author: Author }): Promise<unknown>;
    update(id: DatasetId, name: string, input: { description?: string; ref?: string; force?: boolean; author: Author }): Promise<unknown>;
    delete(id: DatasetId, name: string): Promise<unknown>;
  };
}

/**
 * A realistic history through the API's services: creates and patches, a revert, tags created, described, moved
 * (forced) and deleted, a dataset deleted and made again. Ends with every sample dataset live.
 */
export async function writeSampleHistory({ datasets, revisions, tags }: SampleHistoryServices): Promise<void> {
  const { ada, grace } = SAMPLE_AUTHORS;
  const { rain, wind, snow, fog } = SAMPLE_DATASETS;
  const first = await datasets.create(rain, sampleDescriptor('Rain'), { author: ada });
  await datasets.patch(rain, { description: 'Daily rainfall', keywords: ['weather', 'rain'] }, { author: grace });
  await tags.create(rain, { name: 'v1', description: 'first', author: ada });
  await datasets.patch(rain, { title: 'Rain, daily' }, { author: ada });
  await tags.update(rain, 'v1', { description: 'first release\nwith notes', author: grace });
  await tags.create(rain, { name: 'release/2024', author: grace });
  await tags.update(rain, 'release/2024', { ref: first.revision.sha, force: true, author: ada });
  await revisions.revert(rain, first.revision.sha, { author: grace });
  await tags.create(rain, { name: 'scratch', author: ada });
  await tags.delete(rain, 'scratch');

  await datasets.create(wind, sampleDescriptor('Wind', { licenses: [{ path: 'LICENSE.txt' }] }), { author: ada });
  await tags.create(wind, { name: 'v1', author: ada });
  await datasets.create(snow, sampleDescriptor('Snow'), { author: grace });
  await datasets.delete(snow, { author: grace });
  await datasets.create(snow, sampleDescriptor('Snow, again'), { author: grace });
  await datasets.create(fog, sampleDescriptor('Fog'), { author: ada });
  await datasets.patch(fog, { keywords: ['fog', 'weather', 'fog'] }, { author: ada });
}
