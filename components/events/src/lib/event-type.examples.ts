// Sample data the event types' examples share (one rainfall dataset's story), so their examples tell one consistent history.
import type { DescriptorObject } from './event.model';

/** Revisions the examples use. */
export const REVISIONS = {
  first: '3f1c9a7e5b2d4c6e8a0b1d3f5e7c9a1b3d5f7e9c',
  second: '8e2b4d6f0a1c3e5b7d9f1a3c5e7b9d0f2a4c6e8b',
  third: 'c0ffee5a1b2c3d4e5f60718293a4b5c6d7e8f901',
  revert: 'a7d3f9e1c5b7092e4f6a8c0d2e4f6a8b0c2d4e6f',
  rewritten: '5b9e2c7a1d3f4e6b8a0c2e4d6f8a1b3c5e7d9f02',
  invalid: 'e4a1c3b5d7f9021436587a9bcbdef01234567890',
};
/** An author of examples. */
export const ADA = { name: 'Ada Lovelace', email: 'ada@example.org' };
/** Another author of examples. */
export const GRACE = { name: 'Grace Hopper', email: 'grace@example.org' };
/** The dataset of most examples: its id, backend and location. */
export const EXAMPLE_DATASET = { id: { owner: 'acme', name: 'rainfall' }, backend: 'github', location: 'https://github.com/acme/rainfall' };

const STATIONS = {
  name: 'stations',
  path: 'data/stations.csv',
  format: 'csv',
  mediatype: 'text/csv',
  bytes: 48213,
  hash: 'sha256:9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f',
};
/** The descriptor at the first revision. */
export const FIRST_DESCRIPTOR: DescriptorObject = {
  name: 'rainfall',
  title: 'Daily rainfall',
  licenses: [{ name: 'CC-BY-4.0' }],
  resources: [STATIONS],
};
/** The descriptor at the second revision. */
export const SECOND_DESCRIPTOR: DescriptorObject = {
  ...FIRST_DESCRIPTOR,
  title: 'Daily rainfall, 1961 to today',
  version: '1.1.0',
  resources: [
    { ...STATIONS, bytes: 48977, hash: 'sha256:1a3c5e7b9d0f2a4c6e8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a' },
    { name: 'readings', path: 'data/readings.parquet', format: 'parquet', bytes: 73400320 },
  ],
};
/** A release tag on the first revision. */
export const TAG_V1 = {
  name: 'v1.0',
  target: REVISIONS.first,
  description: 'First release',
  author: ADA,
  createdAt: '2025-03-14T09:40:00.000Z',
};
/** The release tag moved to the second revision. */
export const TAG_V1_MOVED = { ...TAG_V1, target: REVISIONS.second, author: GRACE };
