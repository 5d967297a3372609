export { crashEntry } from './testing/crash-entry';
export { runJournalCrashLoop } from './testing/journal-crash-loop';
export type { JournalCrashLoopOptions, JournalCrashLoopResult } from './testing/journal-crash-loop';
