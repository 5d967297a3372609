import { isJsonObject, type Descriptor, type DescriptorIssue, type DescriptorWarning } from './descriptor.model';
import { unsafePathReason } from './descriptor.validator';

const LFS_RULE = 'metastore:lfs-pointer';
const LFS_ERROR = { code: 'LFS_POINTER_INVALID', rule: LFS_RULE } as const;

/** The file holding the descriptor at each repository's root. */
export const DESCRIPTOR_PATH = 'datapackage.json';
/** Marks the pointer files as Git LFS objects for git tooling; owned by Metastore. */
export const GITATTRIBUTES_PATH = '.gitattributes';

const SHA256 = /^sha256:([a-f0-9]{64})$/i;

/** A Git LFS pointer to write at a resource's path. */
export interface LfsPointer {
  readonly path: string;
  readonly oid: string;
  readonly size: number;
  readonly pointer: string;
}

/** The text of a Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). */
export function renderLfsPointer(oid: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
}

/**
 * The LFS pointers a descriptor calls for: one per resource with a local `path`, a sha256 `hash` and
 * integer `bytes`. Problems that would corrupt the repository are errors; resources that only miss
 * what a pointer needs are warnings.
 */
export function lfsPointersOf(descriptor: Descriptor): {
  pointers: LfsPointer[];
  errors: DescriptorIssue[];
  warnings: DescriptorWarning[];
} {
  const pointers = new Map<string, LfsPointer & { index: number }>();
  const errors: DescriptorIssue[] = [];
  const warnings: DescriptorWarning[] = [];
  const resources = Array.isArray(descriptor['resources']) ? descriptor['resources'] : [];
  resources.forEach((resource, index) => {
    if (!isJsonObject(resource) || typeof resource['path'] !== 'string' || typeof resource['hash'] !== 'string') return;
    const path = resource['path'];
    const hash = SHA256.exec(resource['hash']);
    if (!hash || unsafePathReason(path) !== undefined || /^(https?|ftps?):\/\//i.test(path)) return;
    const bytes = resource['bytes'];
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0) {
      warnings.push({
        pointer: `/resources/${index}`,
        code: 'LFS_POINTER_SKIPPED',
        rule: LFS_RULE,
        message: 'a resource with a sha256 hash needs integer bytes for a Git LFS pointer to be written',
      });
      return;
    }
    // Dot-paths (.gitattributes, .git/, .lfsconfig) never get here: the validator refuses a leading '.'.
    if (path === DESCRIPTOR_PATH || path.startsWith(`${DESCRIPTOR_PATH}/`)) {
      errors.push({ ...LFS_ERROR, pointer: `/resources/${index}/path`, message: `'${path}' is reserved for the repository itself` });
      return;
    }
    const oid = hash[1]!.toLowerCase();
    const existing = pointers.get(path);
    if (existing && (existing.oid !== oid || existing.size !== bytes)) {
      errors.push({
        ...LFS_ERROR,
        pointer: `/resources/${index}/path`,
        message: `resources ${existing.index} and ${index} share the path '${path}' with different hash or bytes`,
      });
      return;
    }
    pointers.set(path, { path, oid, size: bytes, pointer: renderLfsPointer(oid, bytes), index });
  });
  const all = [...pointers.values()];
  // A path that is both a file and a directory (a.csv and a.csv/b.csv) cannot exist in one git tree.
  for (const outer of all) {
    if (all.some((inner) => inner.path.startsWith(`${outer.path}/`))) {
      errors.push({
        ...LFS_ERROR,
        pointer: `/resources/${outer.index}/path`,
        message: `'${outer.path}' is also used as a directory by another resource`,
      });
    }
  }
  return { pointers: all.map(({ index: _index, ...pointer }) => pointer), errors, warnings };
}

/** The first line of the .gitattributes Metastore writes; a file without it is someone else's. */
const MANAGED_ATTRIBUTES_HEADER = "# Managed by Metastore: Git LFS pointers of this dataset's resources.";
const LFS_ATTRIBUTES = 'filter=lfs diff=lfs merge=lfs -text';

/** True for the text of a Git LFS pointer file. */
export function isLfsPointer(content: string): boolean {
  return content.startsWith('version https://git-lfs.github.com/spec/v1\n');
}

/** The pointer paths a .gitattributes written by Metastore lists (none when Metastore did not write it). */
export function pointerPathsOf(gitattributes: string): string[] {
  const [header, ...lines] = gitattributes.split('\n');
  if (header !== MANAGED_ATTRIBUTES_HEADER) return [];
  return lines
    .filter((line) => line.startsWith('/') && line.endsWith(` ${LFS_ATTRIBUTES}`))
    .map((line) =>
      line.slice(1, -LFS_ATTRIBUTES.length - 1).replace(/\[\[:space:\]\]|\\(.)/g, (_match, escaped: string | undefined) => escaped ?? ' '),
    );
}

/** Escapes a path as a literal .gitattributes pattern (https://git-scm.com/docs/gitattributes). */
function attributePattern(path: string): string {
  return `/${path.replace(/[\\*?[\]!#]/g, (character) => `\\${character}`).replace(/ /g, '[[:space:]]')}`;
}

/** Every file Metastore manages for a descriptor: the descriptor itself, LFS pointers and their .gitattributes. */
export function managedFiles(serializedDescriptor: string, pointers: readonly LfsPointer[]): Map<string, string> {
  const files = new Map<string, string>([[DESCRIPTOR_PATH, serializedDescriptor]]);
  if (pointers.length === 0) return files;
  const sorted = [...pointers].sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
  for (const pointer of sorted) files.set(pointer.path, pointer.pointer);
  const lines = sorted.map((pointer) => `${attributePattern(pointer.path)} ${LFS_ATTRIBUTES}`);
  files.set(GITATTRIBUTES_PATH, `${MANAGED_ATTRIBUTES_HEADER}\n${lines.join('\n')}\n`);
  return files;
}
