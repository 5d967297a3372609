import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DescriptorIssueCode } from '../lib/descriptor.codes';
import type { ProfileVersion } from '../lib/descriptor.model';

/** The folder holding the corpus's descriptors and its manifest.json. */
export const CORPUS_DIR = path.join(__dirname, 'corpus');

/** One real-world descriptor of the corpus: where it came from and the verdict the specifications give it. */
export interface CorpusEntry {
  readonly file: string;
  readonly source: { readonly repository: string; readonly path: string; readonly commit: string };
  /** For a copy changed to show one case, what was changed. */
  readonly derived?: string;
  readonly version: ProfileVersion;
  /** `valid-with-warnings`: accepted with a lenient (common v1 form) warning, which strict validation refuses. */
  readonly verdict: 'valid' | 'valid-with-warnings' | 'invalid';
  readonly errors: readonly DescriptorIssueCode[];
  readonly warnings: readonly DescriptorIssueCode[];
}

/** The corpus's entries, in manifest order. */
export function corpusEntries(): CorpusEntry[] {
  return (JSON.parse(readFileSync(path.join(CORPUS_DIR, 'manifest.json'), 'utf8')) as { entries: CorpusEntry[] }).entries;
}

/** The text of one corpus descriptor, byte for byte as published. */
export function corpusText(entry: Pick<CorpusEntry, 'file'>): string {
  return readFileSync(path.join(CORPUS_DIR, entry.file), 'utf8');
}
