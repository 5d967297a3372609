import type { Tag } from '@metastore/storage';
import type { CatalogExpectation } from './catalog.model';

/** What a catalog holds of one dataset, as far as expectations go: its live head (null: none) and its recorded tags. */
export interface RecordedState {
  readonly head: string | null;
  readonly tags: readonly Tag[];
}

/** Whether two records of a tag agree (times compared as instants: databases may format them differently). */
export function sameTag(left: Tag, right: Tag): boolean {
  return (
    left.name === right.name &&
    left.target === right.target &&
    left.description === right.description &&
    left.author.name === right.author.name &&
    left.author.email === right.author.email &&
    Date.parse(left.createdAt) === Date.parse(right.createdAt)
  );
}

/** Whether two sets of tags (in any order) agree tag by tag. */
export function sameTags(left: readonly Tag[], right: readonly Tag[]): boolean {
  if (left.length !== right.length) return false;
  const byName = new Map(right.map((tag) => [tag.name, tag]));
  return left.every((tag) => {
    const other = byName.get(tag.name);
    return other !== undefined && sameTag(tag, other);
  });
}

/** Whether the catalog's state meets an update's expectation (every store checks the same way). */
export function meetsExpectation(expectation: CatalogExpectation, state: RecordedState): boolean {
  if (expectation.head !== undefined && expectation.head !== state.head) return false;
  if (expectation.tag) {
    const { name, state: expected } = expectation.tag;
    const recorded = state.tags.find((tag) => tag.name === name);
    if (expected === null ? recorded !== undefined : recorded === undefined || !sameTag(recorded, expected)) return false;
  }
  if (expectation.allTags && !sameTags(expectation.allTags, state.tags)) return false;
  return true;
}
