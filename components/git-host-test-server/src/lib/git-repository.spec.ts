import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openDataDirectory } from './host-server';
import { GitBackendError, type GitIdentity, GitRepository } from './git-repository';

const run = promisify(execFile);
const at = (timestamp: number): GitIdentity => ({ name: 'Ada', email: 'ada@example.com', timestamp, timezoneOffset: -120 });

describe('GitRepository', () => {
  it('commits trees, swaps refs only from the expected value, and walks history by path and by first parent', async () => {
    const data = await openDataDirectory(undefined, 'git-repository-');
    try {
      const git = await GitRepository.initialise(`${data.path}/r.git`, 'trunk');
      const commit = async (parents: string[], files: Record<string, string | null>, timestamp: number, base?: string) => {
        const changes = Object.entries(files).map(([path, content]) =>
          content === null
            ? { path, mode: '100644' as const, type: 'blob' as const, sha: null }
            : { path, mode: '100644' as const, type: 'blob' as const, content },
        );
        const tree = await git.buildTree(base, changes);
        return git.writeCommit({ message: `at ${timestamp}\n`, tree, parents, author: at(timestamp), committer: at(timestamp) });
      };
      const first = await commit([], { 'a.json': '1', 'dir/b.json': '2' }, 1_700_000_000);
      await git.swapRef('refs/heads/trunk', undefined, first);
      const firstTree = (await git.readCommit(first))!.tree;
      const second = await commit([first], { 'dir/b.json': '3' }, 1_700_000_100, firstTree);
      await expect(git.swapRef('refs/heads/trunk', undefined, second)).rejects.toMatchObject({ reason: 'REF_MOVED' });
      await git.swapRef('refs/heads/trunk', first, second);
      const third = await commit([second], { 'a.json': null }, 1_700_000_200, (await git.readCommit(second))!.tree);
      await expect(git.swapRef('refs/heads/trunk', first, third)).rejects.toBeInstanceOf(GitBackendError);
      await git.swapRef('refs/heads/trunk', second, third);

      expect((await git.log(third, 'dir/b.json')).map((each) => each.oid)).toEqual([second, first]);
      expect((await git.log(third, 'a.json', 1)).map((each) => each.oid)).toEqual([third]);
      expect((await git.firstParentHistory(third)).map((each) => each.oid)).toEqual([third, second, first]);
      expect(await git.resolveCommit('trunk')).toBe(third);
      expect((await git.diffTrees(firstTree, (await git.readCommit(third))!.tree)).map((each) => [each.path, each.status])).toEqual([
        ['a.json', 'removed'],
        ['dir/b.json', 'modified'],
      ]);
      // Real git reads what isomorphic-git wrote.
      const { stdout } = await run('git', ['--git-dir', `${data.path}/r.git`, 'log', '--format=%H %ad', '--date=raw', 'trunk']);
      expect(stdout.trim().split('\n')).toEqual([`${third} 1700000200 +0200`, `${second} 1700000100 +0200`, `${first} 1700000000 +0200`]);
      await run('git', ['--git-dir', `${data.path}/r.git`, 'fsck', '--strict']);
    } finally {
      await data.dispose();
    }
  });
});
