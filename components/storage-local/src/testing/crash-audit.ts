import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatDatasetId, type DatasetId, type Tag } from '@metastore/storage';
import { LocalGitStorage } from '../lib/local-git.adapter';
import { parseLocalGitStorageConfig } from '../lib/local-git.config';
import type { AcknowledgedWrite } from './crash-writes';

const run = promisify(execFile);

/** What was found in a data directory after its writers were killed. */
export interface CrashAudit {
  readonly repositories: number;
  readonly acknowledged: number;
  /** Acknowledged writes not found: a revision not reachable from the head, a tag missing or moved. */
  readonly lost: readonly string[];
  /** Repositories where `git fsck --strict` fails, with its output. */
  readonly fsckFailures: readonly string[];
  /** Datasets where a new commit (or a create of a tag whose lock a crash left) fails, with the error. */
  readonly stuckDatasets: readonly string[];
  /** Datasets whose tag listing fails, lists a `.lock` entry, or differs between two reads. */
  readonly unstableListings: readonly string[];
}

async function directories(parent: string): Promise<string[]> {
  try {
    return (await readdir(parent, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every file under `directory` whose name ends with `.lock`, relative to it. */
export async function lockFiles(directory: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? lockFiles(path.join(directory, entry.name), `${prefix}${entry.name}/`)
        : Promise.resolve(entry.name.endsWith('.lock') ? [`${prefix}${entry.name}`] : []),
    ),
  );
  return found.flat();
}

async function allTags(storage: LocalGitStorage, id: DatasetId): Promise<Tag[]> {
  const tags: Tag[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.listTags(id, { limit: 100, ...(cursor ? { cursor } : {}) });
    tags.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return tags;
}

function describeError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return `${code ?? 'error'}: ${message ?? String(error)}`;
}

/**
 * Audits every repository of a local data directory after crashes, the way a restarted process finds it:
 * `git fsck --strict`; every acknowledged write present; tag listings that never show a `.lock` entry and
 * read the same twice; and every dataset still writable (a new commit on the head, and a create of each
 * tag whose lock file a crash left, succeed: no stale-lock REVISION_CONFLICT). The writes it makes are
 * commits of `crash-audit.txt`, so run it last.
 */
export async function auditDataDir(
  dataDir: string,
  acknowledged: readonly AcknowledgedWrite[],
  defaultBranch = 'main',
): Promise<CrashAudit> {
  const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: dataDir, METASTORE_DEFAULT_BRANCH: defaultBranch }));
  const byDataset = new Map<string, AcknowledgedWrite[]>();
  for (const write of acknowledged) byDataset.set(write.dataset, [...(byDataset.get(write.dataset) ?? []), write]);
  const lost: string[] = [];
  const fsckFailures: string[] = [];
  const stuckDatasets: string[] = [];
  const unstableListings: string[] = [];
  const found = new Set<string>();
  const author = { name: 'Crash Audit', email: 'audit@example.com' };

  for (const owner of await directories(path.join(dataDir, 'repositories'))) {
    for (const directory of await directories(path.join(dataDir, 'repositories', owner))) {
      if (!directory.endsWith('.git')) continue;
      const id = { owner, name: directory.slice(0, -'.git'.length) };
      const dataset = formatDatasetId(id);
      const gitdir = storage.repositoryPath(id);
      found.add(dataset);
      const leftTagLocks = (await lockFiles(path.join(gitdir, 'refs', 'tags'))).map((file) => file.slice(0, -'.lock'.length));

      try {
        await run('git', ['-C', gitdir, 'fsck', '--strict', '--no-dangling', '--no-progress']);
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        fsckFailures.push(`${dataset}: ${`${stdout}${stderr}`.trim()}`);
      }

      let reachable = new Set<string>();
      try {
        const { stdout } = await run('git', ['-C', gitdir, 'rev-list', `refs/heads/${defaultBranch}`], { maxBuffer: 64 * 1024 * 1024 });
        reachable = new Set(stdout.split('\n').filter(Boolean));
      } catch (error) {
        lost.push(`${dataset}: no readable history (${describeError(error)})`);
      }

      let tags = new Map<string, string>();
      try {
        const first = await allTags(storage, id);
        const second = await allTags(storage, id);
        tags = new Map(first.map((tag) => [tag.name, tag.target]));
        const locks = first.filter((tag) => tag.name.endsWith('.lock'));
        if (locks.length > 0) unstableListings.push(`${dataset}: lists ${locks.map((tag) => tag.name).join(', ')}`);
        if (JSON.stringify(first) !== JSON.stringify(second)) unstableListings.push(`${dataset}: two listings differ`);
      } catch (error) {
        unstableListings.push(`${dataset}: ${describeError(error)}`);
      }

      for (const write of byDataset.get(dataset) ?? []) {
        if (write.kind === 'tag') {
          if (tags.get(write.tag!) !== write.sha)
            lost.push(`${dataset}: tag ${write.tag} -> ${write.sha} is ${tags.get(write.tag!) ?? 'missing'}`);
        } else if (!reachable.has(write.sha)) {
          lost.push(`${dataset}: ${write.kind} ${write.sha} is not reachable from ${defaultBranch}`);
        }
      }

      try {
        const head = await storage.resolveRef(id);
        const next = await storage.commit(id, {
          parent: head,
          changes: [{ path: 'crash-audit.txt', content: randomBytes(8).toString('hex') }],
          message: 'Audit after crashes',
          author,
        });
        for (const name of leftTagLocks) {
          await storage.createTag(id, { name, target: next.sha, description: 'Audit after crashes', author }).catch((error: unknown) => {
            if ((error as { code?: string }).code !== 'TAG_ALREADY_EXISTS') throw error;
          });
        }
      } catch (error) {
        stuckDatasets.push(`${dataset}: ${describeError(error)}`);
      }
    }
  }
  for (const [dataset, writes] of byDataset) {
    if (!found.has(dataset)) lost.push(`${dataset}: ${writes.length} acknowledged writes, and no repository`);
  }
  return { repositories: found.size, acknowledged: acknowledged.length, lost, fsckFailures, stuckDatasets, unstableListings };
}
