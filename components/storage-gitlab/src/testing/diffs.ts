import { type GitRepository, countLineChanges, isBinary } from '@metastore/git-host-test-server';
import { createTwoFilesPatch } from 'diff';

/** One file of a commit's diff or a comparison (https://docs.gitlab.com/api/commits/#get-the-diff-of-a-commit). */
export interface FileDiff {
  readonly diff: string;
  readonly new_path: string;
  readonly old_path: string;
  readonly a_mode: string;
  readonly b_mode: string;
  readonly new_file: boolean;
  readonly renamed_file: boolean;
  readonly deleted_file: boolean;
  readonly generated_file: boolean;
}

/** The unified diff body GitLab shows: the hunks only (`@@ -1,2 +1,2 @@` ...), no `---`/`+++` header lines. */
function hunks(before: Buffer | undefined, after: Buffer | undefined, oldPath: string, newPath: string): string {
  if ((before && isBinary(before)) || (after && isBinary(after))) return `Binary files a/${oldPath} and b/${newPath} differ\n`;
  const patch = createTwoFilesPatch(oldPath, newPath, before?.toString('utf8') ?? '', after?.toString('utf8') ?? '', '', '', {
    context: 3,
  });
  const start = patch.indexOf('@@');
  // git leaves out a count of 1 in hunk headers (`@@ -1 +1 @@`); jsdiff writes it.
  const one = (range: string) => range.replace(/,1$/, '');
  return start === -1
    ? ''
    : patch
        .slice(start)
        .replace(
          /^@@ -(\d+(?:,\d+)?) \+(\d+(?:,\d+)?) @@/gm,
          (_header, before: string, after: string) => `@@ -${one(before)} +${one(after)} @@`,
        );
}

/**
 * The files that differ between two trees (undefined: the empty tree), renames detected when a removed and an added file
 * have the same content (git's exact renames), and the line counts of the whole change.
 */
export async function treeDiffs(
  git: GitRepository,
  beforeTree: string | undefined,
  afterTree: string | undefined,
): Promise<{ diffs: FileDiff[]; additions: number; deletions: number }> {
  const differences = await git.diffTrees(beforeTree, afterTree);
  const removed = new Map(differences.filter((change) => change.status === 'removed').map((change) => [change.oldOid!, change]));
  const renamedFrom = new Map<string, string>();
  for (const change of differences) {
    if (change.status !== 'added') continue;
    const source = removed.get(change.newOid!);
    if (source) {
      renamedFrom.set(change.path, source.path);
      removed.delete(change.newOid!);
    }
  }
  const renamedSources = new Set(renamedFrom.values());
  const diffs: FileDiff[] = [];
  let additions = 0;
  let deletions = 0;
  for (const change of differences) {
    if (change.status === 'removed' && renamedSources.has(change.path)) continue;
    const oldPath = renamedFrom.get(change.path) ?? change.path;
    const oldEntry = beforeTree && change.status !== 'added' ? await git.entryAtPath(beforeTree, change.path) : undefined;
    const renamedEntry = renamedFrom.has(change.path) && beforeTree ? await git.entryAtPath(beforeTree, oldPath) : undefined;
    const newEntry = afterTree && change.status !== 'removed' ? await git.entryAtPath(afterTree, change.path) : undefined;
    const before = change.oldOid ? await git.readBlob(change.oldOid) : renamedEntry ? await git.readBlob(renamedEntry.oid) : undefined;
    const after = change.newOid ? await git.readBlob(change.newOid) : undefined;
    const counts = countLineChanges(before, after);
    if (!renamedEntry) {
      additions += counts.additions;
      deletions += counts.deletions;
    }
    diffs.push({
      diff: renamedEntry ? '' : hunks(before, after, oldPath, change.path),
      new_path: change.path,
      old_path: oldPath,
      a_mode: (oldEntry ?? renamedEntry)?.mode.replace(/^0+(?=\d{5})/, '') ?? '0',
      b_mode: newEntry?.mode ?? '0',
      new_file: change.status === 'added' && !renamedEntry,
      renamed_file: renamedEntry !== undefined,
      deleted_file: change.status === 'removed',
      generated_file: false,
    });
  }
  return { diffs, additions, deletions };
}
