import git from 'isomorphic-git';
import type { FileChange } from '@metastore/storage';
import type { GitContext } from './git-context';

type TreeEntry = { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' };

interface ChangeNode {
  files: Map<string, FileChange>;
  directories: Map<string, ChangeNode>;
}

function groupByDirectory(changes: readonly FileChange[]): ChangeNode {
  const root: ChangeNode = { files: new Map(), directories: new Map() };
  for (const change of changes) {
    const segments = change.path.split('/');
    let node = root;
    for (const segment of segments.slice(0, -1)) {
      let child = node.directories.get(segment);
      if (!child) {
        child = { files: new Map(), directories: new Map() };
        node.directories.set(segment, child);
      }
      node = child;
    }
    node.files.set(segments[segments.length - 1]!, change);
  }
  return root;
}

/**
 * Writes the tree that results from applying `changes` to `baseTree`, rewriting only the subtrees
 * that change (unchanged subtrees keep their oids) and dropping directories left empty.
 * Returns `undefined` when the result is an empty tree.
 */
export async function writeChangedTree(
  context: GitContext,
  baseTree: string | undefined,
  changes: readonly FileChange[],
): Promise<string | undefined> {
  return writeNode(context, baseTree, groupByDirectory(changes));
}

async function writeNode(context: GitContext, baseTree: string | undefined, node: ChangeNode): Promise<string | undefined> {
  const entries = new Map<string, TreeEntry>();
  if (baseTree) {
    const { tree } = await git.readTree({ ...context, oid: baseTree });
    for (const entry of tree) entries.set(entry.path, entry);
  }
  for (const [name, change] of node.files) {
    if ('delete' in change) {
      entries.delete(name);
    } else {
      const oid = await git.writeBlob({ ...context, blob: Buffer.from(change.content, 'utf8') });
      entries.set(name, { mode: '100644', path: name, oid, type: 'blob' });
    }
  }
  for (const [name, child] of node.directories) {
    const existing = entries.get(name);
    const oid = await writeNode(context, existing?.type === 'tree' ? existing.oid : undefined, child);
    if (oid) entries.set(name, { mode: '040000', path: name, oid, type: 'tree' });
    else entries.delete(name);
  }
  if (entries.size === 0) return undefined;
  return git.writeTree({ ...context, tree: [...entries.values()] });
}
