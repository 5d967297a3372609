/**
 * The search indexer's write path: events per second `SearchIndexer.apply` takes with 1,000 datasets indexed, each
 * event saving the whole index file. Run alone: `node --import tsx tools/bench/search-index.bench.ts` (BENCH_SEARCH_EVENTS
 * updates, 500 by default; BENCH_SEARCH_DIR to measure another file system than the temporary directory's).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { storedEventForTests } from '@metastore/events/testing';
import { SearchIndexer } from '@metastore/search-index';

const DATASETS = 1_000;
const UPDATES = Number(process.env['BENCH_SEARCH_EVENTS'] ?? 500);

/** Descriptors of a realistic size for a catalog entry: a title, a paragraph and a few keywords. */
function descriptorOf(index: number, round: number): Record<string, unknown> {
  return {
    name: `dataset-${index}`,
    title: `Hourly rainfall in region ${index % 97}, round ${round}`,
    description: `Measurements of rainfall across station network ${index % 13}, collected hourly and published for reuse. `.repeat(3),
    keywords: ['rain', `region-${index % 97}`, round % 2 === 0 ? 'open-data' : 'climate'],
  };
}

/** Seeds `DATASETS` datasets, then applies `UPDATES` updates spread over them; answers the figures. */
export async function runSearchIndexBench(): Promise<{ seedPerSecond: number; updatesPerSecond: number; fileBytes: number }> {
  const dataDir = await mkdtemp(path.join(process.env['BENCH_SEARCH_DIR'] ?? os.tmpdir(), 'metastore-search-bench-'));
  try {
    const indexer = await SearchIndexer.open({ dataDir });
    let sequence = 0;
    const seedStart = performance.now();
    for (let index = 0; index < DATASETS; index++) {
      sequence += 1;
      const { event } = storedEventForTests(sequence, {
        type: 'dataset.created',
        subject: `bench/dataset-${index}`,
        descriptor: descriptorOf(index, 0),
      });
      await indexer.apply(event, String(sequence));
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const updateStart = performance.now();
    for (let round = 1; round <= UPDATES; round++) {
      sequence += 1;
      const index = (round * 7919) % DATASETS;
      const { event } = storedEventForTests(sequence, {
        type: 'dataset.updated',
        subject: `bench/dataset-${index}`,
        descriptor: descriptorOf(index, round),
      });
      await indexer.apply(event, String(sequence));
    }
    const updateSeconds = (performance.now() - updateStart) / 1000;
    return {
      seedPerSecond: Math.round(DATASETS / seedSeconds),
      updatesPerSecond: Math.round(UPDATES / updateSeconds),
      fileBytes: (await stat(indexer.file).catch(() => undefined))?.size ?? 0,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void runSearchIndexBench().then((result) => {
    console.log(
      `search index: ${DATASETS} creates at ${result.seedPerSecond}/s (index growing to ${DATASETS}), ` +
        `${UPDATES} updates at ${result.updatesPerSecond}/s with ${DATASETS} indexed, index file ${(result.fileBytes / 1024).toFixed(0)} KiB`,
    );
  });
}
