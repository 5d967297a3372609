import { randomBytes } from 'node:crypto';
import { formatDatasetId, type DatasetId, type DatasetStorage } from '@metastore/storage';

/** A write the storage acknowledged (its promise resolved): after any crash it must still be there. */
export interface AcknowledgedWrite {
  readonly kind: 'create' | 'commit' | 'tag';
  /** `owner/name`. */
  readonly dataset: string;
  /** The new revision (create, commit) or the tagged one (tag). */
  readonly sha: string;
  readonly tag?: string;
}

/** A write the storage refused or failed (a stale lock shows up here as REVISION_CONFLICT). */
export interface FailedWrite {
  readonly kind: AcknowledgedWrite['kind'];
  readonly dataset: string;
  readonly code: string;
  readonly message: string;
}

/** One line of the crash writer's output. */
export type CrashWriterLine =
  | { readonly type: 'ready' }
  | { readonly type: 'ack'; readonly write: AcknowledgedWrite }
  | { readonly type: 'failed'; readonly write: FailedWrite };

/** The owner of every dataset the crash writer touches. */
export const CRASH_OWNER = 'crash';
const FIXED_DATASETS = ['alpha', 'beta', 'gamma'];
const author = { name: 'Crash Writer', email: 'crash@example.com' };
// Every request is a function of the head it builds on, so a write retried after a crash writes the very
// objects the killed attempt was writing: the case where a half-written object must not be trusted.
const FIXED_TIME = new Date('2024-01-01T00:00:00Z');

/** Formats one output line (newline included). */
export function formatCrashWriterLine(line: CrashWriterLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** Parses one output line; undefined for anything else (a stack trace on stderr never gets here). */
export function parseCrashWriterLine(text: string): CrashWriterLine | undefined {
  try {
    const line = JSON.parse(text) as CrashWriterLine;
    return typeof line === 'object' && line !== null && 'type' in line ? line : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes until killed: commits and tag creates on three fixed datasets (created when missing) and, now
 * and then, a new dataset. Each acknowledged write is emitted (synchronously, before the next one starts);
 * each refused one too.
 */
export async function runCrashWriter(
  storage: DatasetStorage,
  emit: (line: string) => void,
  random: () => number = Math.random,
): Promise<never> {
  emit(formatCrashWriterLine({ type: 'ready' }));
  for (;;) {
    const roll = random();
    if (roll < 0.05) {
      const id = { owner: CRASH_OWNER, name: `new-${randomBytes(4).toString('hex')}` };
      await attempt(emit, 'create', id, async () => {
        const revision = await storage.createDataset(id, {
          files: [{ path: 'datapackage.json', content: `{"name":"${id.name}"}\n` }],
          message: `Create ${id.name}`,
          author,
          timestamp: FIXED_TIME,
        });
        return { kind: 'create', dataset: formatDatasetId(id), sha: revision.sha };
      });
      continue;
    }
    const id = { owner: CRASH_OWNER, name: FIXED_DATASETS[Math.floor(random() * FIXED_DATASETS.length)]! };
    const head = await headOf(storage, id, emit);
    if (head === undefined) continue;
    if (roll < 0.7) {
      await attempt(emit, 'commit', id, async () => {
        const revision = await storage.commit(id, {
          parent: head,
          changes: [
            { path: 'datapackage.json', content: `{"name":"${id.name}","after":"${head}"}\n` },
            { path: `data/${head.slice(0, 2)}/note.txt`, content: `after ${head}\n` },
          ],
          message: `After ${head}`,
          author,
          timestamp: FIXED_TIME,
        });
        return { kind: 'commit', dataset: formatDatasetId(id), sha: revision.sha };
      });
    } else {
      const name = random() < 0.5 ? `t-${head.slice(0, 10)}` : `release/${head.slice(0, 2)}/${head.slice(2, 10)}`;
      await attempt(emit, 'tag', id, async () => {
        try {
          await storage.createTag(id, { name, target: head, description: `Tag of ${head}`, author, timestamp: FIXED_TIME });
        } catch (error) {
          // A retried create finds the tag made by the attempt that was killed: done, if it names the same revision.
          if ((error as { code?: string }).code !== 'TAG_ALREADY_EXISTS' || (await storage.getTag(id, name)).target !== head) throw error;
        }
        return { kind: 'tag', dataset: formatDatasetId(id), sha: head, tag: name };
      });
    }
  }
}

async function headOf(storage: DatasetStorage, id: DatasetId, emit: (line: string) => void): Promise<string | undefined> {
  try {
    return await storage.resolveRef(id);
  } catch (error) {
    if ((error as { code?: string }).code !== 'DATASET_NOT_FOUND') throw error;
  }
  let created: string | undefined;
  await attempt(emit, 'create', id, async () => {
    const revision = await storage.createDataset(id, {
      files: [{ path: 'datapackage.json', content: `{"name":"${id.name}"}\n` }],
      message: `Create ${id.name}`,
      author,
      timestamp: FIXED_TIME,
    });
    created = revision.sha;
    return { kind: 'create', dataset: formatDatasetId(id), sha: revision.sha };
  });
  return created;
}

async function attempt(
  emit: (line: string) => void,
  kind: AcknowledgedWrite['kind'],
  id: DatasetId,
  write: () => Promise<AcknowledgedWrite>,
): Promise<void> {
  let acknowledged: AcknowledgedWrite;
  try {
    acknowledged = await write();
  } catch (error) {
    const { code = 'UNKNOWN', message = String(error) } = error as { code?: string; message?: string };
    emit(formatCrashWriterLine({ type: 'failed', write: { kind, dataset: formatDatasetId(id), code, message } }));
    return;
  }
  emit(formatCrashWriterLine({ type: 'ack', write: acknowledged }));
}
