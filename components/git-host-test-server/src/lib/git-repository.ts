import fs from 'node:fs';
import { mkdir, open, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import AsyncLock from 'async-lock';
import git from 'isomorphic-git';
import isGitRefNameValid from 'is-git-ref-name-valid';

/** Git object types. */
export type GitObjectType = 'blob' | 'tree' | 'commit' | 'tag';
/** Tree entry modes the Git Data API accepts. */
export type TreeEntryMode = '100644' | '100755' | '040000' | '160000' | '120000';
/** Tree entry types the Git Data API accepts. */
export type TreeEntryType = 'blob' | 'tree' | 'commit';

/** An author, committer or tagger as git stores it (timezoneOffset in JavaScript's sense: UTC+2 is -120). */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
  readonly timestamp: number;
  readonly timezoneOffset: number;
}

/** One entry of a tree object. */
export interface GitTreeEntry {
  readonly path: string;
  readonly mode: TreeEntryMode;
  readonly type: TreeEntryType;
  readonly oid: string;
}

/** A parsed commit object. */
export interface GitCommitObject {
  readonly oid: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitIdentity;
  readonly committer: GitIdentity;
  readonly message: string;
  readonly signature?: string;
}

/** A parsed annotated tag object. */
export interface GitTagObject {
  readonly oid: string;
  readonly tag: string;
  readonly object: string;
  readonly type: GitObjectType;
  readonly tagger: GitIdentity;
  readonly message: string;
}

/** A ref and the object it points at. */
export interface GitRef {
  readonly ref: string;
  readonly oid: string;
}

/** One requested change of `POST /git/trees`: `sha: null` deletes, `content` writes a blob. */
export interface TreeChange {
  readonly path: string;
  readonly mode: TreeEntryMode;
  readonly type: TreeEntryType;
  readonly sha?: string | null;
  readonly content?: string;
}

/** A file whose blob differs between two trees. */
export interface TreeDifference {
  readonly path: string;
  readonly status: 'added' | 'removed' | 'modified';
  readonly oldOid?: string;
  readonly newOid?: string;
}

/** Why a git operation was refused; routes translate these into their host's answers. */
export type GitFailure =
  | 'OBJECT_MISSING'
  | 'WRONG_OBJECT_TYPE'
  | 'PATH_MISSING'
  | 'BAD_PATH'
  | 'MODE_MISMATCH'
  | 'REF_EXISTS'
  | 'REF_MISSING'
  | 'REF_CONFLICT'
  | 'REF_INVALID'
  | 'REF_MOVED'
  | 'NOT_FAST_FORWARD';

/** A refused git operation, with the reason and the object or path concerned. */
export class GitBackendError extends Error {
  constructor(
    readonly reason: GitFailure,
    message: string,
  ) {
    super(message);
    this.name = 'GitBackendError';
  }
}

/** The empty tree's well-known object id. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

const FULL_SHA = /^[0-9a-f]{40}$/;
const SHORT_SHA = /^[0-9a-f]{4,39}$/;
const MODE_TYPES: Record<TreeEntryMode, TreeEntryType> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};
// Ref updates are serialised per repository directory, across every GitRepository instance of the process.
const refLocks = new AsyncLock({ maxPending: Infinity });

interface TreeNode {
  readonly baseOid: string | undefined;
  entries?: Map<string, NodeEntry>;
  dirty: boolean;
}

interface NodeEntry {
  mode: TreeEntryMode;
  type: TreeEntryType;
  oid: string;
  node?: TreeNode;
}

/** True when `name` may be a path component of a tree (git fsck rejects the others). */
export function isValidPathComponent(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && name.toLowerCase() !== '.git' && !name.includes('\0');
}

/**
 * One bare repository on disk, read and written with isomorphic-git. Objects are real git
 * objects (`git fsck --strict` is clean) and refs are loose files swapped with git's lock-file
 * protocol, serialised per repository so each ref update is an atomic compare-and-swap.
 */
export class GitRepository {
  private readonly context: { fs: typeof fs; gitdir: string; cache: object };
  private readonly objectTypes = new Map<string, GitObjectType>();
  private readonly blobSizes = new Map<string, number>();

  constructor(readonly gitdir: string) {
    this.context = { fs, gitdir, cache: {} };
  }

  /** Creates an empty bare repository whose HEAD names `defaultBranch`. */
  static async initialise(gitdir: string, defaultBranch = 'main'): Promise<GitRepository> {
    await git.init({ fs, gitdir, bare: true, defaultBranch });
    return new GitRepository(gitdir);
  }

  /** True when the repository has no refs at all (GitHub's "Git Repository is empty.", GitLab's `empty_repo`). */
  async isEmpty(): Promise<boolean> {
    return (await git.listRefs({ ...this.context, filepath: 'refs' })).length === 0;
  }

  /** The type of an object, or undefined when it does not exist. */
  async objectType(oid: string): Promise<GitObjectType | undefined> {
    if (!FULL_SHA.test(oid)) return undefined;
    const known = this.objectTypes.get(oid);
    if (known) return known;
    try {
      const { type, object } = await git.readObject({ ...this.context, oid, format: 'content' });
      const objectType = type as GitObjectType;
      this.remember(oid, objectType, objectType === 'blob' ? (object as Uint8Array).byteLength : undefined);
      return objectType;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Writes a blob and returns its id. */
  async writeBlob(content: Uint8Array): Promise<string> {
    const oid = await git.writeBlob({ ...this.context, blob: content });
    this.remember(oid, 'blob', content.byteLength);
    return oid;
  }

  /** Reads a blob's bytes, or undefined when `oid` is not a blob. */
  async readBlob(oid: string): Promise<Buffer | undefined> {
    if ((await this.objectType(oid)) !== 'blob') return undefined;
    const { blob } = await git.readBlob({ ...this.context, oid });
    return Buffer.from(blob);
  }

  /** The size of a blob in bytes. */
  async blobSize(oid: string): Promise<number> {
    const known = this.blobSizes.get(oid);
    if (known !== undefined) return known;
    return (await this.readBlob(oid))?.byteLength ?? 0;
  }

  /** Reads a tree's entries in git order, or undefined when `oid` is not a tree. */
  async readTree(oid: string): Promise<readonly GitTreeEntry[] | undefined> {
    if ((await this.objectType(oid)) !== 'tree') return undefined;
    const { tree } = await git.readTree({ ...this.context, oid });
    // isomorphic-git sorts by plain name; git (and GitHub) order a directory as if it ended with '/'.
    const sortKey = (entry: { path: string; type: string }) => Buffer.from(entry.type === 'tree' ? `${entry.path}/` : entry.path);
    return tree
      .map((entry) => ({ path: entry.path, mode: entry.mode as TreeEntryMode, type: entry.type as TreeEntryType, oid: entry.oid }))
      .sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  }

  /** Lists every entry below a tree with full paths (trees included), depth first in git order. */
  async readTreeRecursively(oid: string, prefix = ''): Promise<GitTreeEntry[]> {
    const entries = (await this.readTree(oid)) ?? [];
    const result: GitTreeEntry[] = [];
    for (const entry of entries) {
      const fullPath = `${prefix}${entry.path}`;
      result.push({ ...entry, path: fullPath });
      if (entry.type === 'tree') result.push(...(await this.readTreeRecursively(entry.oid, `${fullPath}/`)));
    }
    return result;
  }

  /**
   * Writes the tree that results from applying `changes` in order to `baseTree` (or to an empty
   * tree), creating subtrees for nested paths, rewriting only the subtrees that change and
   * dropping directories that deletions leave empty.
   */
  async buildTree(baseTree: string | undefined, changes: readonly TreeChange[]): Promise<string> {
    if (baseTree !== undefined && (await this.objectType(baseTree)) !== 'tree') {
      throw new GitBackendError('WRONG_OBJECT_TYPE', `${baseTree} is not a tree`);
    }
    const root: TreeNode = { baseOid: baseTree, dirty: true };
    for (const change of changes) await this.applyChange(root, change);
    return (await this.writeNode(root)) ?? (await git.writeTree({ ...this.context, tree: [] }));
  }

  /** Writes a commit object after checking that its tree and parents exist. */
  async writeCommit(commit: {
    message: string;
    tree: string;
    parents: readonly string[];
    author: GitIdentity;
    committer: GitIdentity;
    signature?: string;
  }): Promise<string> {
    const treeType = await this.objectType(commit.tree);
    if (treeType === undefined) throw new GitBackendError('OBJECT_MISSING', `tree ${commit.tree}`);
    if (treeType !== 'tree') throw new GitBackendError('WRONG_OBJECT_TYPE', `tree ${commit.tree}`);
    for (const parent of commit.parents) {
      if ((await this.objectType(parent)) !== 'commit') throw new GitBackendError('OBJECT_MISSING', `parent ${parent}`);
    }
    const headers = [
      `tree ${commit.tree}`,
      ...commit.parents.map((parent) => `parent ${parent}`),
      `author ${formatIdentity(commit.author)}`,
      `committer ${formatIdentity(commit.committer)}`,
      ...(commit.signature ? [`gpgsig ${commit.signature.replace(/\n$/, '').split('\n').join('\n ')}`] : []),
    ];
    const oid = await this.writeObject('commit', `${headers.join('\n')}\n\n${commit.message}`);
    this.remember(oid, 'commit');
    return oid;
  }

  /** Reads a commit, or undefined when `oid` is not a commit. */
  async readCommit(oid: string): Promise<GitCommitObject | undefined> {
    if ((await this.objectType(oid)) !== 'commit') return undefined;
    const { headers, message } = await this.readObjectText(oid);
    const signature = headers.get('gpgsig')?.[0];
    return {
      oid,
      tree: headers.get('tree')![0]!,
      parents: headers.get('parent') ?? [],
      author: parseIdentity(headers.get('author')![0]!),
      committer: parseIdentity(headers.get('committer')![0]!),
      message,
      ...(signature ? { signature } : {}),
    };
  }

  /** Writes an annotated tag object after checking that its target exists with the stated type. */
  async writeTag(tag: {
    tag: string;
    message: string;
    object: string;
    type: Exclude<GitObjectType, 'tag'>;
    tagger: GitIdentity;
  }): Promise<string> {
    const actual = await this.objectType(tag.object);
    if (actual === undefined) throw new GitBackendError('OBJECT_MISSING', `object ${tag.object}`);
    if (actual !== tag.type) throw new GitBackendError('WRONG_OBJECT_TYPE', `object ${tag.object} is a ${actual}, not a ${tag.type}`);
    const text = `object ${tag.object}\ntype ${tag.type}\ntag ${tag.tag}\ntagger ${formatIdentity(tag.tagger)}\n\n${tag.message}`;
    const oid = await this.writeObject('tag', text);
    this.remember(oid, 'tag');
    return oid;
  }

  /** Reads an annotated tag, or undefined when `oid` is not a tag object. */
  async readTag(oid: string): Promise<GitTagObject | undefined> {
    if ((await this.objectType(oid)) !== 'tag') return undefined;
    const { headers, message } = await this.readObjectText(oid);
    return {
      oid,
      tag: headers.get('tag')![0]!,
      object: headers.get('object')![0]!,
      type: headers.get('type')![0] as GitObjectType,
      tagger: parseIdentity(headers.get('tagger')![0]!),
      message,
    };
  }

  /** Follows annotated tags until a non-tag object; undefined when an object is missing. */
  async peel(oid: string): Promise<{ oid: string; type: Exclude<GitObjectType, 'tag'> } | undefined> {
    let current = oid;
    for (let depth = 0; depth < 16; depth++) {
      const type = await this.objectType(current);
      if (type === undefined) return undefined;
      if (type !== 'tag') return { oid: current, type };
      current = (await this.readTag(current))!.object;
    }
    return undefined;
  }

  /**
   * Resolves a revision the way `git rev-parse <rev>^{commit}` does for the forms GitHub accepts:
   * a full sha, a ref name (`main`, `heads/main`, `refs/tags/v1`, `HEAD`) or an abbreviated sha.
   * Returns the commit's id, or undefined when nothing (or no commit) matches.
   */
  async resolveCommit(revision: string): Promise<string | undefined> {
    const lower = revision.toLowerCase();
    let oid: string | undefined;
    if (FULL_SHA.test(lower)) {
      oid = lower;
    } else {
      oid = await this.resolveRefName(revision);
      if (oid === undefined && SHORT_SHA.test(lower)) oid = await this.expandAbbreviation(lower);
    }
    if (oid === undefined) return undefined;
    const peeled = await this.peel(oid);
    return peeled?.type === 'commit' ? peeled.oid : undefined;
  }

  /** The object a full ref name (`refs/heads/main`) points at, or undefined. */
  async readRef(ref: string): Promise<string | undefined> {
    if (!isGitRefNameValid(ref) || !ref.startsWith('refs/')) return undefined;
    try {
      return await git.resolveRef({ ...this.context, ref, depth: 1 });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Refs whose full name starts with `prefix` (a plain string prefix, like GitHub's matching-refs), sorted. */
  async listRefs(prefix: string): Promise<GitRef[]> {
    const names = await git.listRefs({ ...this.context, filepath: 'refs' });
    const refs: GitRef[] = [];
    for (const name of names
      .map((relative) => `refs/${relative}`)
      .filter((name) => name.startsWith(prefix))
      .sort()) {
      const oid = await this.readRef(name);
      if (oid) refs.push({ ref: name, oid });
    }
    return refs;
  }

  /** Creates a ref that must not exist yet (nor clash with a ref below or above it). */
  async createRef(ref: string, oid: string): Promise<void> {
    await this.assertRefTarget(ref, oid);
    await refLocks.acquire(this.gitdir, async () => {
      if ((await this.readRef(ref)) !== undefined) throw new GitBackendError('REF_EXISTS', ref);
      const others = await this.listRefs('refs/');
      if (others.some((other) => other.ref.startsWith(`${ref}/`) || ref.startsWith(`${other.ref}/`))) {
        throw new GitBackendError('REF_CONFLICT', ref);
      }
      await this.writeLooseRef(ref, oid);
    });
  }

  /**
   * Moves an existing ref to `oid`: a compare-and-swap inside the repository's lock, refused when
   * it is not a fast forward of the current value unless `force`.
   */
  async updateRef(ref: string, oid: string, force: boolean): Promise<void> {
    await this.assertRefTarget(ref, oid);
    await refLocks.acquire(this.gitdir, async () => {
      const current = await this.readRef(ref);
      if (current === undefined) throw new GitBackendError('REF_MISSING', ref);
      if (!force && current !== oid && !(await this.isFastForward(current, oid))) {
        throw new GitBackendError('NOT_FAST_FORWARD', ref);
      }
      await this.writeLooseRef(ref, oid);
    });
  }

  /**
   * Points `ref` at `oid` only while it still points at `expected` (undefined: only while it does not exist), the
   * check and the write inside the repository's lock: a compare-and-swap, as git's `update-ref <ref> <new> <old>`.
   */
  async swapRef(ref: string, expected: string | undefined, oid: string): Promise<void> {
    await this.assertRefTarget(ref, oid);
    await refLocks.acquire(this.gitdir, async () => {
      const current = await this.readRef(ref);
      if (current !== expected) throw new GitBackendError('REF_MOVED', ref);
      await this.writeLooseRef(ref, oid);
    });
  }

  /** Deletes an existing ref (loose or packed). */
  async deleteRef(ref: string): Promise<void> {
    await refLocks.acquire(this.gitdir, async () => {
      if ((await this.readRef(ref)) === undefined) throw new GitBackendError('REF_MISSING', ref);
      await git.deleteRef({ ...this.context, ref });
      await this.removeEmptyRefDirectories(path.dirname(ref));
    });
  }

  /**
   * Commits reachable from `start`, newest first: ordered by committer date like `git log`
   * (ties broken by discovery order), optionally only those that change `filePath` relative to
   * their first parent; at most `limit` of them (`log(head, path, 1)` is the last commit that changed `path`).
   */
  async log(start: string, filePath?: string, limit = Infinity): Promise<GitCommitObject[]> {
    const result: GitCommitObject[] = [];
    const seen = new Set<string>([start]);
    const queue: GitCommitObject[] = [];
    const first = await this.readCommit(start);
    if (first) queue.push(first);
    while (queue.length > 0) {
      let newest = 0;
      for (let index = 1; index < queue.length; index++) {
        if (queue[index]!.committer.timestamp > queue[newest]!.committer.timestamp) newest = index;
      }
      const commit = queue.splice(newest, 1)[0]!;
      if (filePath === undefined || (await this.changesPath(commit, filePath))) result.push(commit);
      if (result.length >= limit) break;
      for (const parent of commit.parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        const parsed = await this.readCommit(parent);
        if (parsed) queue.push(parsed);
      }
    }
    return result;
  }

  /** Commits from `start` following first parents only (`git log --first-parent`), newest first. */
  async firstParentHistory(start: string): Promise<GitCommitObject[]> {
    const result: GitCommitObject[] = [];
    let current = await this.readCommit(start);
    while (current) {
      result.push(current);
      current = current.parents[0] ? await this.readCommit(current.parents[0]) : undefined;
    }
    return result;
  }

  /** The entry at `filePath` inside a tree ('' is the tree itself), or undefined. */
  async entryAtPath(tree: string, filePath: string): Promise<GitTreeEntry | undefined> {
    let current: GitTreeEntry = { path: '', mode: '040000', type: 'tree', oid: tree };
    for (const segment of filePath.split('/').filter((part) => part !== '')) {
      if (current.type !== 'tree') return undefined;
      const entry = (await this.readTree(current.oid))?.find((candidate) => candidate.path === segment);
      if (!entry) return undefined;
      current = entry;
    }
    return current;
  }

  /** Files (blobs, by full path) that differ between two trees; `before` undefined means an empty tree. */
  async diffTrees(before: string | undefined, after: string | undefined, prefix = ''): Promise<TreeDifference[]> {
    if (before === after) return [];
    const oldEntries = new Map((before ? ((await this.readTree(before)) ?? []) : []).map((entry) => [entry.path, entry]));
    const newEntries = new Map((after ? ((await this.readTree(after)) ?? []) : []).map((entry) => [entry.path, entry]));
    const names = [...new Set([...oldEntries.keys(), ...newEntries.keys()])].sort();
    const differences: TreeDifference[] = [];
    for (const name of names) {
      const oldEntry = oldEntries.get(name);
      const newEntry = newEntries.get(name);
      if (oldEntry?.oid === newEntry?.oid && oldEntry?.mode === newEntry?.mode) continue;
      const fullPath = `${prefix}${name}`;
      const oldTree = oldEntry?.type === 'tree' ? oldEntry.oid : undefined;
      const newTree = newEntry?.type === 'tree' ? newEntry.oid : undefined;
      if (oldTree || newTree) differences.push(...(await this.diffTrees(oldTree, newTree, `${fullPath}/`)));
      const oldFile = oldEntry && oldEntry.type !== 'tree' ? oldEntry : undefined;
      const newFile = newEntry && newEntry.type !== 'tree' ? newEntry : undefined;
      if (oldFile && newFile) differences.push({ path: fullPath, status: 'modified', oldOid: oldFile.oid, newOid: newFile.oid });
      else if (newFile) differences.push({ path: fullPath, status: 'added', newOid: newFile.oid });
      else if (oldFile) differences.push({ path: fullPath, status: 'removed', oldOid: oldFile.oid });
    }
    return differences;
  }

  /** Writes a commit or tag object from its text exactly as given (isomorphic-git would normalise the message). */
  private async writeObject(type: 'commit' | 'tag', text: string): Promise<string> {
    return git.writeObject({ ...this.context, type, object: Buffer.from(text, 'utf8'), format: 'content' });
  }

  /** Reads a commit or tag object's headers (continuation lines joined) and its message, verbatim. */
  private async readObjectText(oid: string): Promise<{ headers: Map<string, string[]>; message: string }> {
    const { object } = await git.readObject({ ...this.context, oid, format: 'content' });
    const text = Buffer.from(object as Uint8Array).toString('utf8');
    const end = text.indexOf('\n\n');
    const headerText = end === -1 ? text : text.slice(0, end);
    const headers = new Map<string, string[]>();
    let last: { key: string; values: string[] } | undefined;
    for (const line of headerText.split('\n')) {
      if (line.startsWith(' ') && last) {
        last.values[last.values.length - 1] += `\n${line.slice(1)}`;
        continue;
      }
      const space = line.indexOf(' ');
      const key = line.slice(0, space);
      const values = headers.get(key) ?? [];
      values.push(line.slice(space + 1));
      headers.set(key, values);
      last = { key, values };
    }
    return { headers, message: end === -1 ? '' : text.slice(end + 2) };
  }

  private remember(oid: string, type: GitObjectType, size?: number): void {
    if (this.objectTypes.size > 50_000) this.objectTypes.clear();
    this.objectTypes.set(oid, type);
    if (size !== undefined) {
      if (this.blobSizes.size > 50_000) this.blobSizes.clear();
      this.blobSizes.set(oid, size);
    }
  }

  private async resolveRefName(name: string): Promise<string | undefined> {
    // git's dwim order (refs.c ref_rev_parse_rules); top-level names are only the all-caps ones like HEAD.
    const candidates = [`refs/${name}`, `refs/tags/${name}`, `refs/heads/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`];
    if (name.startsWith('refs/')) candidates.unshift(name);
    if (/^[A-Z_]+$/.test(name)) {
      try {
        return await git.resolveRef({ ...this.context, ref: name });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    for (const candidate of candidates) {
      const oid = await this.readRef(candidate);
      if (oid !== undefined) return oid;
    }
    return undefined;
  }

  private async expandAbbreviation(prefix: string): Promise<string | undefined> {
    try {
      return await git.expandOid({ ...this.context, oid: prefix });
    } catch (error) {
      if (isNotFound(error) || (error as { code?: string }).code === 'AmbiguousError') return undefined;
      throw error;
    }
  }

  private async isFastForward(current: string, next: string): Promise<boolean> {
    const from = await this.peel(current);
    const to = await this.peel(next);
    if (from?.type !== 'commit' || to?.type !== 'commit') return false;
    if (from.oid === to.oid) return true;
    return git.isDescendent({ ...this.context, oid: to.oid, ancestor: from.oid, depth: -1 });
  }

  private async assertRefTarget(ref: string, oid: string): Promise<void> {
    if (!isGitRefNameValid(ref) || !ref.startsWith('refs/')) throw new GitBackendError('REF_INVALID', ref);
    if ((await this.objectType(oid)) === undefined) throw new GitBackendError('OBJECT_MISSING', oid);
  }

  /** Writes `<ref>.lock` exclusively, then renames it over the ref (git's lock-file protocol). */
  private async writeLooseRef(ref: string, oid: string): Promise<void> {
    const refPath = path.join(this.gitdir, ref);
    await mkdir(path.dirname(refPath), { recursive: true });
    const lockPath = `${refPath}.lock`;
    const handle = await open(lockPath, 'wx');
    try {
      await handle.writeFile(`${oid}\n`);
      await handle.close();
      await rename(lockPath, refPath);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(lockPath, { force: true });
      throw error;
    }
  }

  private async removeEmptyRefDirectories(directory: string): Promise<void> {
    // git removes directories a deleted ref leaves empty, so that `refs/tags/a` can later be a ref again.
    let current = directory;
    while (current.split('/').length > 2) {
      try {
        await rmdir(path.join(this.gitdir, current));
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }

  private async loadNode(node: TreeNode): Promise<Map<string, NodeEntry>> {
    if (!node.entries) {
      const entries = node.baseOid ? ((await this.readTree(node.baseOid)) ?? []) : [];
      node.entries = new Map(entries.map((entry) => [entry.path, { mode: entry.mode, type: entry.type, oid: entry.oid }]));
    }
    return node.entries;
  }

  private async applyChange(root: TreeNode, change: TreeChange): Promise<void> {
    const segments = change.path.split('/');
    if (!segments.every(isValidPathComponent)) throw new GitBackendError('BAD_PATH', change.path);
    if (MODE_TYPES[change.mode] !== change.type) throw new GitBackendError('MODE_MISMATCH', change.path);
    const deleting = change.sha === null && change.content === undefined;
    let node = root;
    for (const segment of segments.slice(0, -1)) {
      const entries = await this.loadNode(node);
      let entry = entries.get(segment);
      if (!entry || entry.type !== 'tree') {
        if (deleting) throw new GitBackendError('PATH_MISSING', change.path);
        entry = { mode: '040000', type: 'tree', oid: '', node: { baseOid: undefined, entries: new Map(), dirty: true } };
        entries.set(segment, entry);
      }
      entry.node ??= { baseOid: entry.oid, dirty: false };
      node.dirty = true;
      node = entry.node;
    }
    const name = segments[segments.length - 1]!;
    const entries = await this.loadNode(node);
    node.dirty = true;
    if (deleting) {
      if (!entries.delete(name)) throw new GitBackendError('PATH_MISSING', change.path);
      return;
    }
    let oid: string;
    if (change.content !== undefined) {
      if (change.type !== 'blob') throw new GitBackendError('WRONG_OBJECT_TYPE', change.path);
      oid = await this.writeBlob(Buffer.from(change.content, 'utf8'));
    } else {
      oid = change.sha!.toLowerCase();
      if (change.type !== 'commit' && (await this.objectType(oid)) !== change.type) {
        throw new GitBackendError('OBJECT_MISSING', `${change.type} ${oid} at ${change.path}`);
      }
    }
    entries.set(name, { mode: change.mode, type: change.type, oid });
  }

  private async writeNode(node: TreeNode): Promise<string | undefined> {
    if (!node.dirty) return node.baseOid;
    const entries = await this.loadNode(node);
    for (const [name, entry] of entries) {
      if (!entry.node) continue;
      const oid = await this.writeNode(entry.node);
      if (oid === undefined) entries.delete(name);
      else entry.oid = oid;
    }
    if (entries.size === 0) return undefined;
    const tree = [...entries].map(([name, entry]) => ({ mode: entry.mode, path: name, oid: entry.oid, type: entry.type }));
    const oid = await git.writeTree({ ...this.context, tree });
    this.remember(oid, 'tree');
    return oid;
  }

  private async changesPath(commit: GitCommitObject, filePath: string): Promise<boolean> {
    const current = await this.entryAtPath(commit.tree, filePath);
    const parent = commit.parents[0] ? await this.readCommit(commit.parents[0]) : undefined;
    const previous = parent ? await this.entryAtPath(parent.tree, filePath) : undefined;
    return current?.oid !== previous?.oid;
  }
}

/** `Name <email> 1700000000 +0200` (git's identity line; `timezoneOffset` has JavaScript's sign). */
function formatIdentity(identity: GitIdentity): string {
  const minutes = -identity.timezoneOffset;
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  const zone = `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}${String(absolute % 60).padStart(2, '0')}`;
  return `${identity.name} <${identity.email}> ${identity.timestamp} ${zone}`;
}

function parseIdentity(line: string): GitIdentity {
  const match = /^(.*) <(.*)> (\d+) ([+-])(\d{2})(\d{2})$/.exec(line);
  if (!match) return { name: line, email: '', timestamp: 0, timezoneOffset: 0 };
  const minutes = (match[4] === '-' ? -1 : 1) * (Number(match[5]) * 60 + Number(match[6]));
  return { name: match[1]!, email: match[2]!, timestamp: Number(match[3]), timezoneOffset: minutes === 0 ? 0 : -minutes };
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'NotFoundError' || code === 'ENOENT';
}
