import { StorageUnavailableError } from '@metastore/errors';
import { decodeJournaledChange, encodeJournaledChange } from '../lib/change-journal.codec';
import type { ChangeJournal, JournaledChange, JournalEntry } from '../lib/change-journal.port';

/**
 * A change journal in memory, for unit tests. Entries are kept encoded (as the file adapter writes them), so a test
 * sees exactly what survives a round trip; `damage` makes one unreadable, as a torn write would.
 */
export class InMemoryChangeJournal implements ChangeJournal {
  /** Entries by key, in append order. */
  readonly entries = new Map<string, { sequence: number; text: string }>();
  /** Entries set aside, with the reason. */
  readonly setAsideEntries: { key: string; reason: string }[] = [];
  /** Set to make appends fail, as a full or read-only disk would. */
  failAppends = false;
  private sequence = 0;

  async append(change: JournaledChange): Promise<void> {
    if (this.failAppends) throw new StorageUnavailableError('the in-memory journal refuses appends');
    this.sequence += 1;
    this.entries.set(`entry-${String(this.sequence).padStart(6, '0')}`, { sequence: this.sequence, text: encodeJournaledChange(change) });
  }

  async read(limit: number): Promise<readonly JournalEntry[]> {
    return [...this.entries].slice(0, limit).map(([key, { sequence, text }]) => {
      try {
        return { key, sequence, change: decodeJournaledChange(text) };
      } catch (error) {
        return { key, sequence, problem: (error as Error).message };
      }
    });
  }

  async remove(entry: JournalEntry): Promise<void> {
    this.entries.delete(entry.key);
  }

  async setAside(entry: JournalEntry, reason: string): Promise<void> {
    this.entries.delete(entry.key);
    this.setAsideEntries.push({ key: entry.key, reason });
  }

  async pending(): Promise<number> {
    return this.entries.size;
  }

  pendingNow(): number {
    return this.entries.size;
  }

  /** Truncates an entry's text, as a write cut short would. */
  damage(key: string): void {
    const entry = this.entries.get(key);
    if (entry) this.entries.set(key, { ...entry, text: entry.text.slice(0, Math.floor(entry.text.length / 2)) });
  }

  /** The changes waiting, decoded, in order. */
  changes(): JournaledChange[] {
    return [...this.entries.values()].map(({ text }) => decodeJournaledChange(text));
  }
}
