import { TagMoveForbiddenError, ValidationError, type ValidationIssue } from '@metastore/errors';
import {
  isFullSha,
  isGitRefName,
  MAX_REF_BYTES,
  refIssues,
  validateAuthor,
  validateRef,
  type Author,
  type DatasetId,
  type DatasetStorage,
  type Page,
  type PageRequest,
  type Tag,
} from '@metastore/storage';

const MAX_TAG_NAME_BYTES = 200;
const MAX_DESCRIPTION = 65_536;
const UTF8 = new TextEncoder();

/**
 * Names git resolves before a tag of the same name (`HEAD`, `ORIG_HEAD`, ...), or under other namespaces (`heads/x`), or as a revision sha.
 */
const SHADOWED = [
  {
    test: (name: string) => /^(?:[A-Z]+_)*HEAD$/.test(name),
    message: 'tag name must not be HEAD or another git pseudo-ref (FETCH_HEAD, ORIG_HEAD, ...)',
  },
  {
    test: (name: string) => /^(?:refs|heads|tags|remotes)\//.test(name),
    message: "tag name must not start with 'refs/', 'heads/', 'tags/' or 'remotes/' (git would resolve another ref first)",
  },
  { test: isFullSha, message: 'tag name must not look like a full revision sha' },
  { test: (name: string) => name.startsWith('-'), message: "tag name must not start with '-'" },
];

/**
 * Validates the name of a tag to create: git's ref rules (git check-ref-format) without spoofing characters (control,
 * Unicode format and separator characters: bidi overrides, zero-width and non-breaking spaces), at most 200 bytes of
 * UTF-8, and no name git would resolve to something else first (`HEAD`, `refs/...`, a sha).
 */
export function validateTagName(name: unknown, pointer = '/name'): string {
  const issues: ValidationIssue[] = refIssues(name, pointer, 'tag name', MAX_TAG_NAME_BYTES);
  if (typeof name === 'string') {
    for (const rule of SHADOWED) if (rule.test(name)) issues.push({ pointer, message: rule.message });
  }
  if (issues.length > 0) throw new ValidationError('invalid tag name', issues);
  return name as string;
}

/**
 * Validates the name of an existing tag by git's own rules and the file-name bound only, so that a tag pushed with plain
 * git under a name the API would not create (`HEAD`, a bidi override) stays readable and deletable.
 */
function validateExistingTagName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || UTF8.encode(name).length > MAX_REF_BYTES || !isGitRefName(name)) {
    throw new ValidationError('invalid tag name', [
      { pointer: '/name', message: `tag name must be a git ref name of at most ${MAX_REF_BYTES} bytes (UTF-8)` },
    ]);
  }
  return name;
}

function validateDescription(description: unknown): string {
  if (description === undefined) return '';
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION || description.includes('\u0000')) {
    throw new ValidationError('invalid tag description', [
      { pointer: '/description', message: `must be a string of at most ${MAX_DESCRIPTION} characters, without U+0000` },
    ]);
  }
  return description;
}

/** Runs every check and throws one ValidationError listing all their issues (`checks` throw ValidationErrors). */
function validateAll(message: string, ...checks: (() => unknown)[]): void {
  const issues = checks.flatMap((check) => ValidationError.issuesOf(check));
  if (issues.length > 0) throw new ValidationError(message, issues);
}

/** Tag use cases: annotated tags as named versions; a tag's target moves only with `force`. */
export class TagService {
  constructor(
    private readonly storage: DatasetStorage,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Tags `ref` (head when absent) as `name`. */
  async create(id: DatasetId, input: { name: unknown; ref?: string; description?: unknown; author: Author }): Promise<Tag> {
    validateAll(
      'invalid tag',
      () => validateTagName(input.name),
      () => validateDescription(input.description),
      () => input.ref === undefined || validateRef(input.ref),
      () => validateAuthor(input.author),
    );
    const name = input.name as string;
    const target = await this.storage.resolveRef(id, input.ref);
    return this.storage.createTag(id, {
      name,
      target,
      description: validateDescription(input.description),
      author: input.author,
      timestamp: this.clock(),
    });
  }

  /** One tag. */
  async get(id: DatasetId, name: string): Promise<Tag> {
    return this.storage.getTag(id, validateExistingTagName(name));
  }

  /** Tags in name order, page by page. */
  async list(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    return this.storage.listTags(id, page);
  }

  /**
   * Changes a tag's description, or moves it to another revision when `force` is set.
   * A description-only change keeps the original tagger and creation time.
   */
  async update(id: DatasetId, name: string, input: { description?: unknown; ref?: string; force?: boolean; author: Author }): Promise<Tag> {
    validateAll(
      'invalid tag update',
      () => validateExistingTagName(name),
      () => input.description === undefined || validateDescription(input.description),
      () => input.ref === undefined || validateRef(input.ref),
      () => validateAuthor(input.author),
    );
    const current = await this.storage.getTag(id, name);
    const description = input.description === undefined ? current.description : validateDescription(input.description);
    const target = input.ref === undefined ? current.target : await this.storage.resolveRef(id, input.ref);
    const moves = target !== current.target;
    if (moves && !input.force) throw new TagMoveForbiddenError(name);
    if (!moves && description === current.description) return current;
    return this.storage.replaceTag(id, {
      name: current.name,
      target,
      description,
      author: moves ? input.author : current.author,
      timestamp: moves ? this.clock() : new Date(current.createdAt),
    });
  }

  /** Deletes a tag; the revision it named stays. */
  async delete(id: DatasetId, name: string, author?: Author): Promise<void> {
    await this.storage.deleteTag(id, validateExistingTagName(name), author === undefined ? undefined : validateAuthor(author));
  }
}
