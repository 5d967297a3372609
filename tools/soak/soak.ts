/**
 * `npm run soak`: concurrent writers and taggers against the built API while it is killed with SIGKILL and its
 * PostgreSQL and Redis connections are cut (through in-process TCP proxies: the machine's shared servers are never
 * stopped); then a clean restart, one sync worker run and a full read of the event stream, and a table of what was
 * acknowledged and what was lost, duplicated or left inconsistent. Loopback only. It reports; with SOAK_STRICT=1 it
 * also exits 1 when a column that should be 0 is not.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import jwt from 'jsonwebtoken';
import { databaseForTests } from '@metastore/catalog-postgres/testing';
import { deleteStreamKeys, uniqueStreamKey } from '@metastore/events-redis/testing';
import { TcpProxy } from '@metastore/fault-proxy/testing';
import { inspectRepository, fsck, outboxCounts, readCatalog, readStream, repositoriesOf } from './inspect';
import { buildReport, type GitDataset } from './ledger';
import { ApiProcess, freePort, runSyncWorkerOnce } from './processes';
import { createDataset, runTagger, runWriter, writeDataset, type Workload } from './workload';

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

const SECONDS = setting('SOAK_SECONDS', 75);
const WRITERS = setting('SOAK_WRITERS', 6);
const TAGGERS = setting('SOAK_TAGGERS', 3);
const DATASETS = Math.max(1, setting('SOAK_DATASETS', 12));
const MAX_DATASETS = Math.max(DATASETS, setting('SOAK_MAX_DATASETS', 20));
const KILLS = setting('SOAK_KILLS', 4);
const SEED = setting('SOAK_SEED', Math.floor(Math.random() * 2 ** 31));
const REQUEST_TIMEOUT_MS = setting('SOAK_REQUEST_TIMEOUT_MS', 30_000);
const STRICT = process.env['SOAK_STRICT'] === '1';
const KEEP = process.env['SOAK_KEEP'] === '1';
const DATABASE_URL = process.env['DATABASE_URL'] || 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const OWNER = 'soak';
const JWT_SECRET = `metastore-soak-${randomUUID()}`;

/** mulberry32: a small seeded generator, so that a seed gives the same fault schedule again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

function requireLoopback(label: string, url: string): URL {
  const parsed = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(parsed.hostname)) {
    throw new Error(`${label} must be on loopback (the soak cuts connections and never leaves this machine): ${parsed.hostname}`);
  }
  return parsed;
}

/** One fault at a time, in order: a SIGKILL of the API (then a restart), or a cut of PostgreSQL or Redis for `seconds`. */
type Fault =
  | { readonly at: number; readonly kind: 'kill' }
  | { readonly at: number; readonly kind: 'postgres cut' | 'redis cut'; readonly seconds: number };

/** The faults of a run of `seconds`: one PostgreSQL cut, one Redis cut (5 to 10 s each), `kills` SIGKILLs outside them. */
function faultSchedule(random: () => number, seconds: number, kills: number): Fault[] {
  const postgres = { at: seconds * (0.2 + 0.15 * random()), kind: 'postgres cut' as const, seconds: 5 + 5 * random() };
  const redis = { at: seconds * (0.55 + 0.15 * random()), kind: 'redis cut' as const, seconds: 5 + 5 * random() };
  const faults: Fault[] = [postgres, redis];
  // A kill needs a few seconds for its restart; it is kept clear of the cuts so that each fault is seen on its own.
  const busy = [postgres, redis].map((cut) => [cut.at - 6, cut.at + cut.seconds + 2] as const);
  for (let kill = 0; kill < kills; kill++) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const at = seconds * (0.05 + 0.9 * random());
      const clear =
        busy.every(([from, to]) => at < from || at > to) && faults.every((fault) => fault.kind !== 'kill' || Math.abs(fault.at - at) > 5);
      if (clear || attempt === 199) {
        faults.push({ at, kind: 'kill' });
        break;
      }
    }
  }
  return faults.sort((left, right) => left.at - right.at);
}

async function main(): Promise<number> {
  const databaseServer = requireLoopback('DATABASE_URL', DATABASE_URL);
  const redisServer = requireLoopback('REDIS_URL', REDIS_URL);
  const random = seeded(SEED);
  const faults = faultSchedule(random, SECONDS, KILLS);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-soak-'));
  const dataDir = path.join(workDir, 'data');
  const stream = uniqueStreamKey('soak:events');
  const database = await databaseForTests({ serverUrl: DATABASE_URL });
  const postgresProxy = await TcpProxy.start({ targetHost: databaseServer.hostname, targetPort: Number(databaseServer.port || 5432) });
  const redisProxy = await TcpProxy.start({
    targetHost: redisServer.hostname.replace(/^\[|\]$/g, ''),
    targetPort: Number(redisServer.port || 6379),
  });
  const api = new ApiProcess(
    await freePort(),
    {
      METASTORE_DATA_DIR: dataDir,
      DATABASE_URL: postgresProxy.urlThrough(database.url),
      REDIS_URL: redisProxy.urlThrough(REDIS_URL),
      METASTORE_EVENTS_STREAM: stream,
      METASTORE_JWT_SECRET: JWT_SECRET,
      METASTORE_WRITE_RATE_LIMIT: '0',
      LOG_LEVEL: process.env['SOAK_LOG_LEVEL'] ?? 'info',
    },
    path.join(workDir, 'api.log'),
  );
  const token = jwt.sign({ sub: 'soak', name: 'Soak', email: 'soak@example.com', roles: { '*': 'admin' } }, JWT_SECRET, {
    algorithm: 'HS256',
    issuer: 'metastore',
    audience: 'metastore',
    expiresIn: '12h',
    jwtid: randomUUID(),
  });
  const workload: Workload = {
    apiUrl: api.url,
    owner: OWNER,
    headers: { authorization: `Bearer ${token}` },
    random,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxDatasets: MAX_DATASETS,
    writes: [],
    tagOps: [],
    datasets: [],
    revisions: new Map(),
    creating: 0,
  };
  let strictFailure = false;
  try {
    console.log(
      `soak: ${SECONDS} s, ${WRITERS} writers, ${TAGGERS} taggers, ${DATASETS}–${MAX_DATASETS} datasets, seed ${SEED}; work directory ${workDir}`,
    );
    console.log(
      `faults: ${faults.map((fault) => `${fault.kind} at ${fault.at.toFixed(1)} s${'seconds' in fault ? ` for ${fault.seconds.toFixed(1)} s` : ''}`).join(', ')}`,
    );
    await api.start();
    for (let index = 0; index < DATASETS; index++) {
      const created = await createDataset(workload, `ds-${String(index).padStart(2, '0')}`, `setup-${index}`);
      if (created.outcome !== 'acknowledged')
        throw new Error(`could not create the soak's datasets (${created.outcome} ${created.status ?? ''}); see ${workDir}/api.log`);
    }

    // The load and the faults.
    const started = Date.now();
    const until = started + SECONDS * 1000;
    const load = [
      ...Array.from({ length: WRITERS }, (_, index) => runWriter(workload, index, until)),
      ...Array.from({ length: TAGGERS }, (_, index) => runTagger(workload, index, until)),
    ];
    const faultLog: string[] = [];
    const cuts: { kind: string; from: number; to: number }[] = [];
    for (const fault of faults) {
      await sleep(Math.max(0, started + fault.at * 1000 - Date.now()));
      const at = ((Date.now() - started) / 1000).toFixed(1);
      if (fault.kind === 'kill') {
        await api.kill();
        const killed = Date.now();
        await api.start();
        faultLog.push(`SIGKILL at ${at} s, ready again after ${((Date.now() - killed) / 1000).toFixed(1)} s`);
      } else {
        const proxy = fault.kind === 'postgres cut' ? postgresProxy : redisProxy;
        const from = Date.now();
        proxy.refuse();
        const cut = proxy.cut();
        await sleep(fault.seconds * 1000);
        proxy.resume();
        cuts.push({ kind: fault.kind, from, to: Date.now() });
        faultLog.push(
          `${fault.kind} at ${at} s for ${fault.seconds.toFixed(1)} s: ${cut} connections cut, ${proxy.counts().refused} refused while cut`,
        );
      }
    }
    await Promise.all(load);
    console.log(faultLog.map((line) => `  ${line}`).join('\n'));

    // A clean restart, a last write to every dataset (one that fails is stuck), the sync worker, the relay drained.
    await api.stop();
    await api.start();
    const repositories = await repositoriesOf(dataDir, OWNER);
    const stuck: string[] = [];
    for (const name of [...repositories.keys()].sort()) {
      const final = await writeDataset(workload, name, 'final', `final-${name}`);
      if (final.outcome !== 'acknowledged') stuck.push(`${OWNER}/${name}: ${final.outcome} ${final.status ?? ''}`.trim());
    }
    const sync = await runSyncWorkerOnce(
      { METASTORE_DATA_DIR: dataDir, DATABASE_URL: database.url, REDIS_URL, METASTORE_EVENTS_STREAM: stream, LOG_LEVEL: 'info' },
      path.join(workDir, 'sync-worker.log'),
    );
    let outbox = await outboxCounts(database.url);
    for (const deadline = Date.now() + 60_000; outbox.unpublished > 0 && Date.now() < deadline; outbox = await outboxCounts(database.url))
      await sleep(200);
    await api.stop();

    // What git, the catalog and the stream hold now.
    const git = new Map<string, GitDataset>();
    const fsckFailures: string[] = [];
    for (const [name, repository] of repositories) {
      git.set(`${OWNER}/${name}`, await inspectRepository(repository));
      const failure = await fsck(repository);
      if (failure) fsckFailures.push(`${OWNER}/${name}: ${failure}`);
    }
    const events = await readStream(REDIS_URL, stream);
    const report = buildReport({
      writes: workload.writes,
      tagOps: workload.tagOps,
      git,
      catalog: await readCatalog(database.url, OWNER),
      events,
    });

    // Everything the figures come from, for a closer look (SOAK_KEEP=1 keeps it).
    await writeFile(
      path.join(workDir, 'ledger.json'),
      JSON.stringify(
        { seed: SEED, faults: faultLog, cuts, writes: workload.writes, tagOps: workload.tagOps, report, fsckFailures, stuck },
        null,
        1,
      ),
    );
    const outcomes = (records: readonly { outcome: string; status?: number }[]) => {
      const counts = new Map<string, number>();
      for (const record of records) {
        const label =
          record.outcome === 'acknowledged' || record.outcome === 'refused' || record.outcome === 'no-response'
            ? record.outcome
            : `${record.status}`;
        counts.set(label, (counts.get(label) ?? 0) + 1);
      }
      return [...counts]
        .sort()
        .map(([label, count]) => `${label} ${count}`)
        .join(', ');
    };
    const columns: [string, number, boolean][] = [
      ['acknowledged writes (dataset writes + tag changes)', report.acknowledgedWrites + report.acknowledgedTagChanges, false],
      ['writes missing from git', report.missingFromGit, true],
      ['catalog mismatches (after sync)', report.catalogMismatches, true],
      ['events missing', report.eventsMissing, true],
      ['events duplicated', report.eventsDuplicated, true],
      ['git fsck --strict failures', fsckFailures.length, true],
      ['stuck datasets', stuck.length, true],
    ];
    console.log('');
    console.log(`${'column'.padEnd(52)} ${'count'.padStart(7)}`);
    for (const [label, count, goal] of columns)
      console.log(`${label.padEnd(52)} ${String(count).padStart(7)}${goal && count > 0 ? '   ✗ (goal 0)' : ''}`);
    console.log('');
    console.log(`dataset writes: ${outcomes(workload.writes)}`);
    console.log(`tag changes:    ${outcomes(workload.tagOps)}`);
    console.log(
      `unacknowledged (no answer or 5xx; may or may not have happened): ${report.unacknowledged}; writes among them present in git: ${report.unacknowledgedButPresent}` +
        `; answered 4xx yet present in git: ${report.rejectedButPresent}`,
    );
    console.log(
      `API starts: ${api.starts}; datasets in git: ${repositories.size}; events in the stream: ${events.length}; outbox: ${outbox.total} events, ${outbox.unpublished} unpublished`,
    );
    console.log(
      `sync worker: exit ${sync.exitCode}${sync.summary ? ` ${JSON.stringify(Object.fromEntries(Object.entries(sync.summary).filter(([key]) => !['level', 'time', 'pid', 'hostname', 'service', 'msg'].includes(key))))}` : ''}`,
    );
    if (report.eventsMissing > 0) {
      // Which fault the changes without an event met: a cut counts until 2 s after it ended (connections come back).
      const during = new Map<string, number>();
      for (const record of report.eventsMissingFor) {
        const cut = cuts.find((window) => record.at !== undefined && record.at >= window.from && record.at <= window.to + 2000);
        const label = cut ? `during the ${cut.kind}` : 'outside the cuts';
        during.set(label, (during.get(label) ?? 0) + 1);
      }
      console.log(
        `events missing, by when the change was acknowledged: ${[...during].map(([label, count]) => `${label} ${count}`).join(', ')}`,
      );
    }
    const examples: [string, readonly string[]][] = [
      ['missing from git', report.details.missingFromGit],
      ['catalog mismatches', report.details.catalogMismatches],
      ['events missing', report.details.eventsMissing],
      ['events duplicated', report.details.eventsDuplicated],
      ['answered 4xx yet present', report.details.rejectedButPresent],
      ['fsck failures', fsckFailures],
      ['stuck datasets', stuck],
    ];
    for (const [label, lines] of examples.filter(([, lines]) => lines.length > 0)) {
      console.log(`\n${label} (${lines.length}${lines.length > 8 ? ', first 8' : ''}):`);
      for (const line of lines.slice(0, 8)) console.log(`  ${line}`);
    }
    strictFailure = columns.some(([, count, goal]) => goal && count > 0);
  } finally {
    await api.kill();
    await postgresProxy.close();
    await redisProxy.close();
    if (KEEP) {
      console.log(
        `\nkept (SOAK_KEEP=1): ${workDir} (data, api.log, sync-worker.log, ledger.json), database ${new URL(database.url).pathname.slice(1)}, stream ${stream}`,
      );
    } else {
      await database.drop();
      await deleteStreamKeys(REDIS_URL, stream);
      await rm(workDir, { recursive: true, force: true });
    }
  }
  return STRICT && strictFailure ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
