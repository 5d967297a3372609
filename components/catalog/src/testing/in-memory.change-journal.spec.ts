import { describeChangeJournalContract } from './change-journal.contract';
import { InMemoryChangeJournal } from './in-memory.change-journal';

// The fake the domain tests use keeps the same contract as the file adapter (it has no next process to reopen for).
describeChangeJournalContract('in memory', async () => ({ journal: new InMemoryChangeJournal() }));
