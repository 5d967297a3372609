export { FsChangeJournal, SET_ASIDE_DIRECTORY } from './lib/fs-change-journal.adapter';
export type { FsChangeJournalOptions } from './lib/fs-change-journal.adapter';
