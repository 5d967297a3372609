import { GitLabStore, type NamespaceRecord } from './gitlab-store';

/** One project to seed: its path, its `last_activity_at`, and its creation (default: an hour before its activity). */
export interface SeededProject {
  readonly path: string;
  readonly lastActivityAt: Date;
  readonly createdAt?: Date;
}

/** What every seeded project holds: one commit with `files` on `main`, and the project's topics. */
export interface SeedProjectContent {
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly topics: readonly string[];
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string };
  /** The commit's time (default: a minute before the earliest activity). */
  readonly committedAt?: Date;
}

/** The commit every seeded project's `main` points at. */
export interface SeedProjectsResult {
  readonly head: string;
  readonly committedAt: Date;
}

/**
 * Writes `projects` into the group `groupPath` (`root/acme`: every group on the way made when missing) straight into a
 * GitLab test server's data directory through its store, in the layout it loads at start (`startGitLabTestServer({
 * dataDir })`, called afterwards, or the data directory of no running server): a thousand projects in a few seconds,
 * where the API would need two requests each, with the `last_activity_at` a sync test needs (the API sets it to now).
 */
export async function seedGitLabProjects(
  dataDir: string,
  groupPath: string,
  projects: readonly SeededProject[],
  content: SeedProjectContent,
): Promise<SeedProjectsResult> {
  const committedAt = content.committedAt ?? new Date(Math.min(...projects.map((project) => project.lastActivityAt.getTime())) - 60_000);
  const store = await GitLabStore.open(dataDir, 'metastore-test');
  let group: NamespaceRecord | undefined;
  const segments = groupPath.split('/');
  for (let depth = 1; depth <= segments.length; depth += 1) {
    const fullPath = segments.slice(0, depth).join('/');
    const parent: NamespaceRecord | undefined = group;
    group = await store.namespaces.ensure(fullPath, (id) => ({
      id,
      kind: 'group',
      name: segments[depth - 1]!,
      path: segments[depth - 1]!,
      fullPath,
      parentId: parent?.id ?? null,
      description: '',
      visibility: 'private',
      createdAt: committedAt.toISOString(),
    }));
  }
  const namespace = group!;
  const identity = { ...content.author, timestamp: Math.floor(committedAt.getTime() / 1000), timezoneOffset: 0 };
  const heads = new Set<string>();
  let next = 0;
  const seedOne = async (project: SeededProject) => {
    const at = project.lastActivityAt.toISOString();
    await store.projects.create(
      `${namespace.fullPath}/${project.path}`,
      (id) => ({
        id,
        name: project.path,
        path: project.path,
        namespaceId: namespace.id,
        namespacePath: namespace.fullPath,
        description: null,
        visibility: 'private',
        topics: [...content.topics],
        defaultBranch: 'main',
        createdAt: (project.createdAt ?? new Date(project.lastActivityAt.getTime() - 3_600_000)).toISOString(),
        updatedAt: at,
        lastActivityAt: at,
        markedForDeletionAt: null,
        creatorId: store.user.id,
      }),
      async (git) => {
        const files = content.files.map((file) => ({
          path: file.path,
          mode: '100644' as const,
          type: 'blob' as const,
          content: file.content,
        }));
        const tree = await git.buildTree(undefined, files);
        const commit = await git.writeCommit({ message: content.message, tree, parents: [], author: identity, committer: identity });
        await git.createRef('refs/heads/main', commit);
        heads.add(commit);
      },
    );
  };
  const worker = async () => {
    while (next < projects.length) await seedOne(projects[next++]!);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { head: [...heads][0]!, committedAt };
}
