export { RevisionService } from './lib/revision.service';
export type { RevisionDiff } from './lib/revision.service';
