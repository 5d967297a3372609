import isGitRefNameValid from 'is-git-ref-name-valid';
import { TagMoveForbiddenError, ValidationError } from '@metastore/errors';
import type { Author, DatasetId, DatasetStorage, Page, PageRequest, Tag } from '@metastore/storage';

const MAX_TAG_NAME = 200;
const MAX_DESCRIPTION = 65_536;

/** Validates a tag name against git's ref rules (git check-ref-format) plus a length bound. */
export function validateTagName(name: unknown, pointer = '/name'): string {
  const issues: { pointer: string; message: string }[] = [];
  if (typeof name !== 'string' || name.length === 0) {
    issues.push({ pointer, message: 'tag name is required' });
  } else {
    if (name.length > MAX_TAG_NAME) issues.push({ pointer, message: `tag name must be at most ${MAX_TAG_NAME} characters` });
    if (!isGitRefNameValid(`refs/tags/${name}`) || name.startsWith('-')) {
      issues.push({
        pointer,
        message: "tag name must be a valid git ref name: no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', '@{', leading '-' or '.', or trailing '.lock'",
      });
    }
  }
  if (issues.length > 0) throw new ValidationError('invalid tag name', issues);
  return name as string;
}

function validateDescription(description: unknown): string {
  if (description === undefined) return '';
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) {
    throw new ValidationError('invalid tag description', [
      { pointer: '/description', message: `must be a string of at most ${MAX_DESCRIPTION} characters` },
    ]);
  }
  return description;
}

/** Tag use cases: annotated tags as named versions; a tag's target moves only with `force`. */
export class TagService {
  constructor(
    private readonly storage: DatasetStorage,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Tags `ref` (head when absent) as `name`. */
  async create(id: DatasetId, input: { name: unknown; ref?: string; description?: unknown; author: Author }): Promise<Tag> {
    const name = validateTagName(input.name);
    const description = validateDescription(input.description);
    const target = await this.storage.resolveRef(id, input.ref);
    return this.storage.createTag(id, { name, target, description, author: input.author, timestamp: this.clock() });
  }

  /** One tag. */
  async get(id: DatasetId, name: string): Promise<Tag> {
    return this.storage.getTag(id, validateTagName(name));
  }

  /** Tags in name order, page by page. */
  async list(id: DatasetId, page: PageRequest): Promise<Page<Tag>> {
    return this.storage.listTags(id, page);
  }

  /**
   * Changes a tag's description, or moves it to another revision when `force` is set.
   * A description-only change keeps the original tagger and creation time.
   */
  async update(
    id: DatasetId,
    name: string,
    input: { description?: unknown; ref?: string; force?: boolean; author: Author },
  ): Promise<Tag> {
    const current = await this.storage.getTag(id, validateTagName(name));
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
    await this.storage.deleteTag(id, validateTagName(name), author);
  }
}
