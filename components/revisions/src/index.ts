export { RevisionService, summarizeDiff } from './lib/revision.service';
export type { DiffSummary, RevisionDiff } from './lib/revision.service';
