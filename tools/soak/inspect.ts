/**
 * What the soak finds after the run: each dataset's repository (head, history, tokens, tags, `git fsck --strict`),
 * the catalog's rows, the outbox backlog and every event in the stream.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import pg from 'pg';
import type { CatalogDataset, GitDataset, ObservedEvent } from './ledger';

const run = promisify(execFile);

async function git(repository: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repository, ...args], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** The bare repositories of `owner` under the API's data directory, by dataset name. */
export async function repositoriesOf(dataDir: string, owner: string): Promise<Map<string, string>> {
  const dir = path.join(dataDir, 'repositories', owner);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return new Map(
    entries
      .filter((entry) => entry.isDirectory() && entry.name.endsWith('.git'))
      .map((entry) => [entry.name.slice(0, -4), path.join(dir, entry.name)]),
  );
}

/** A repository as git (the command line, not the code under test) sees it; a repository without a readable head has none. */
export async function inspectRepository(repository: string): Promise<GitDataset> {
  const head = (await git(repository, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}').catch(() => '')).trim() || null;
  const reachable = new Set<string>();
  const tokens = new Map<string, string>();
  if (head) {
    for (const line of (await git(repository, 'log', '--format=%H%x09%s', 'HEAD')).split('\n')) {
      const [sha, subject] = line.split('\t');
      if (!sha) continue;
      reachable.add(sha);
      const token = /^soak (\S+)$/.exec(subject ?? '')?.[1];
      if (token) tokens.set(token, sha);
    }
  }
  const tags = new Map<string, string>();
  const refs = await git(repository, 'for-each-ref', '--format=%(refname:lstrip=2)%09%(objectname)%09%(*objectname)', 'refs/tags').catch(
    () => '',
  );
  for (const line of refs.split('\n')) {
    const [name, object, peeled] = line.split('\t');
    if (name && object) tags.set(name, peeled || object);
  }
  return { head, reachable, tokens, tags };
}

/** `git fsck --strict`: undefined when it passes, else its first lines. */
export async function fsck(repository: string): Promise<string | undefined> {
  try {
    await git(repository, 'fsck', '--strict', '--no-progress');
    return undefined;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    return `${failure.stderr ?? ''}${failure.stdout ?? ''}`.trim().split('\n').slice(0, 3).join(' | ') || failure.message;
  }
}

/** The catalog's rows (datasets and tags) of `owner`, by `owner/name`. */
export async function readCatalog(databaseUrl: string, owner: string): Promise<Map<string, CatalogDataset>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const datasets = await client.query<{ name: string; head_revision: string; deleted: boolean }>(
      'SELECT name, head_revision, deleted FROM datasets WHERE owner = $1',
      [owner],
    );
    const tags = await client.query<{ name: string; tag_name: string; target: string }>(
      'SELECT name, tag_name, target FROM tags WHERE owner = $1',
      [owner],
    );
    const catalog = new Map<string, CatalogDataset>();
    for (const row of datasets.rows) {
      const rowTags = new Map(tags.rows.filter((tag) => tag.name === row.name).map((tag) => [tag.tag_name, tag.target.trim()]));
      catalog.set(`${owner}/${row.name}`, { head: row.head_revision.trim(), deleted: row.deleted, tags: rowTags });
    }
    for (const tag of tags.rows) {
      if (!catalog.has(`${owner}/${tag.name}`))
        catalog.set(`${owner}/${tag.name}`, { head: '', deleted: true, tags: new Map([[tag.tag_name, tag.target.trim()]]) });
    }
    return catalog;
  } finally {
    await client.end();
  }
}

/** Events in the outbox: all of them, and those no relay has published yet. */
export async function outboxCounts(databaseUrl: string): Promise<{ total: number; unpublished: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ total: number; unpublished: number }>(
      'SELECT count(*)::int AS total, (count(*) FILTER (WHERE published_at IS NULL))::int AS unpublished FROM outbox_events',
    );
    return result.rows[0] ?? { total: 0, unpublished: 0 };
  } finally {
    await client.end();
  }
}

/** Every event in `stream`, oldest first: a consumer reading the whole stream with XRANGE. */
export async function readStream(redisUrl: string, stream: string): Promise<ObservedEvent[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  try {
    const events: ObservedEvent[] = [];
    let start = '-';
    for (;;) {
      const entries = await redis.xrange(stream, start, '+', 'COUNT', 1000);
      for (const [, fields] of entries) {
        const index = fields.indexOf('event');
        const payload = index >= 0 && index % 2 === 0 ? fields[index + 1] : undefined;
        if (!payload) continue;
        const event = JSON.parse(payload) as {
          subject: string;
          type: string;
          data: { newRevision: string | null; oldRevision: string | null; tag?: { name: string }; previousTag?: { name: string } };
        };
        const tagName = event.data.tag?.name ?? event.data.previousTag?.name;
        events.push({
          subject: event.subject,
          type: event.type,
          newRevision: event.data.newRevision,
          oldRevision: event.data.oldRevision,
          ...(tagName ? { tagName } : {}),
        });
      }
      if (entries.length < 1000) return events;
      start = `(${entries.at(-1)![0]}`;
    }
  } finally {
    redis.disconnect();
  }
}
