import { link, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GitRepository } from '@metastore/git-host-test-server';
import type { AccountRecord, RepositoryRecord, RepositorySettings } from './repository-store';

/** One repository to seed: its name and when it was last pushed to (its creation a second earlier unless given). */
export interface SeededRepository {
  readonly name: string;
  readonly pushedAt: Date;
  readonly createdAt?: Date;
}

/** What every seeded repository holds: one commit with `files` on `main`, and the repository's topics. */
export interface SeedContent {
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly topics: readonly string[];
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string };
  /** The commit's time (default: the earliest push). */
  readonly committedAt?: Date;
}

/** The commit every seeded repository's `main` points at. */
export interface SeedResult {
  readonly head: string;
  readonly committedAt: Date;
}

const SETTINGS: RepositorySettings = {
  description: null,
  homepage: null,
  private: true,
  hasIssues: false,
  hasProjects: false,
  hasWiki: false,
  hasDownloads: true,
  hasDiscussions: false,
  isTemplate: false,
  allowSquashMerge: true,
  allowMergeCommit: true,
  allowRebaseMerge: true,
  allowAutoMerge: false,
  deleteBranchOnMerge: false,
};

/** Every file below `directory`, relative to it. */
async function filesBelow(directory: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(directory, prefix), { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await filesBelow(directory, relative)));
    else files.push(relative);
  }
  return files;
}

/**
 * Writes `repositories` of organisation `owner` straight into a GitHub test server's data directory, in the layout its
 * store loads at start (`startGitHubTestServer({ dataDir })`, called afterwards): thousands in seconds, where the API
 * would need five requests each. They share one commit, whose objects are hard links to one template (objects are
 * immutable; refs, HEAD and config are each repository's own files, since the server rewrites them in place).
 */
export async function seedGitHubRepositories(
  dataDir: string,
  owner: string,
  repositories: readonly SeededRepository[],
  content: SeedContent,
): Promise<SeedResult> {
  const committedAt =
    content.committedAt ?? new Date(Math.min(...repositories.map((repository) => repository.pushedAt.getTime())) - 60_000);
  const template = await GitRepository.initialise(path.join(dataDir, 'seed-template.git'));
  const tree = await template.buildTree(
    undefined,
    content.files.map((file) => ({ path: file.path, mode: '100644' as const, type: 'blob' as const, content: file.content })),
  );
  const identity = { ...content.author, timestamp: Math.floor(committedAt.getTime() / 1000), timezoneOffset: 0 };
  const head = await template.writeCommit({ message: content.message, tree, parents: [], author: identity, committer: identity });
  const objects = (await filesBelow(path.join(template.gitdir, 'objects'))).filter((file) => /^[0-9a-f]{2}\//.test(file));
  const objectDirectories = [...new Set(objects.map((file) => path.dirname(file)))];
  const config = '[core]\n\trepositoryformatversion = 0\n\tfilemode = false\n\tbare = true\n';

  const account: AccountRecord = { login: owner, id: 900_001, type: 'Organization', createdAt: committedAt.toISOString() };
  await mkdir(path.join(dataDir, 'accounts'), { recursive: true });
  await writeFile(path.join(dataDir, 'accounts', `${encodeURIComponent(owner.toLowerCase())}.json`), `${JSON.stringify(account)}\n`);
  const ownerDirectory = path.join(dataDir, 'repositories', owner.toLowerCase());
  await mkdir(ownerDirectory, { recursive: true });

  let next = 0;
  const seedOne = async (index: number) => {
    const repository = repositories[index]!;
    const gitdir = path.join(ownerDirectory, `${repository.name.toLowerCase()}.git`);
    await mkdir(path.join(gitdir, 'refs', 'heads'), { recursive: true });
    await mkdir(path.join(gitdir, 'refs', 'tags'), { recursive: true });
    await Promise.all(objectDirectories.map((directory) => mkdir(path.join(gitdir, 'objects', directory), { recursive: true })));
    await Promise.all([
      ...objects.map((file) => link(path.join(template.gitdir, 'objects', file), path.join(gitdir, 'objects', file))),
      writeFile(path.join(gitdir, 'HEAD'), 'ref: refs/heads/main\n'),
      writeFile(path.join(gitdir, 'config'), config),
      writeFile(path.join(gitdir, 'refs', 'heads', 'main'), `${head}\n`),
    ]);
    const pushedAt = repository.pushedAt.toISOString();
    const record: RepositoryRecord = {
      id: 800_001 + index,
      owner,
      name: repository.name,
      settings: SETTINGS,
      topics: [...content.topics],
      defaultBranch: 'main',
      createdAt: (repository.createdAt ?? new Date(repository.pushedAt.getTime() - 1000)).toISOString(),
      updatedAt: pushedAt,
      pushedAt,
    };
    await writeFile(path.join(ownerDirectory, `${repository.name.toLowerCase()}.json`), `${JSON.stringify(record)}\n`);
  };
  const worker = async () => {
    while (next < repositories.length) await seedOne(next++);
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return { head, committedAt };
}
