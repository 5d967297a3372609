export { sampleDescriptor, SAMPLE_AUTHORS, SAMPLE_DATASETS, writeSampleHistory } from './testing/sample-history';
export type { SampleHistoryServices } from './testing/sample-history';
export { CORPUS_DIR, corpusEntries, corpusText } from './testing/corpus';
export type { CorpusEntry } from './testing/corpus';
