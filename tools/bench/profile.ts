/**
 * Reads a V8 CPU profile (`node --cpu-prof`) of the API and says where its samples went: each sample is charged to the
 * nearest frame on its stack that belongs to a known layer (JWT verification, request logging, metrics, the embedded
 * PostgreSQL, ...), so time in Node's own code (crypto, http, streams) counts for the layer that called it. Frames in
 * the bundle (`dist/metadata-api/main.js`) are mapped back to their source file by esbuild's `// path` comments.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** One layer's share of the samples. */
export interface LayerShare {
  readonly layer: string;
  readonly samples: number;
  readonly share: number;
}

/** A function's own samples (self time). */
export interface HotFunction {
  readonly name: string;
  readonly location: string;
  readonly layer: string;
  readonly share: number;
}

/** What a profile says about a window of it: samples by layer and the functions with most self time. */
export interface ProfileSummary {
  readonly samples: number;
  readonly layers: readonly LayerShare[];
  readonly functions: readonly HotFunction[];
}

/** Layers by npm package (the first path segment after `node_modules/`, two for scoped packages). */
const PACKAGE_LAYERS: Record<string, readonly string[]> = {
  'JWT verification': ['jsonwebtoken', 'jws', 'jwa', 'jwks-rsa', 'ecdsa-sig-formatter', 'buffer-equal-constant-time'],
  'request logging': [
    'pino',
    'pino-http',
    'pino-std-serializers',
    'sonic-boom',
    'thread-stream',
    'fast-redact',
    'quick-format-unescaped',
    'safe-stable-stringify',
    'on-exit-leak-free',
    'atomic-sleep',
    'get-caller-file',
    '@pinojs/redact',
  ],
  metrics: ['prom-client', 'tdigest', 'bintrees'],
  'security headers': ['helmet'],
  cors: ['cors'],
  'embedded PostgreSQL (PGlite and its socket)': ['@electric-sql/pglite', '@electric-sql/pglite-socket'],
  'catalog database client (Prisma, pg)': [
    '@prisma/client',
    '@prisma/adapter-pg',
    '@prisma/driver-adapter-utils',
    'pg',
    'pg-pool',
    'pg-protocol',
    'pg-types',
  ],
  'validation (ajv)': ['ajv', 'ajv-formats', 'fast-uri', 'fast-deep-equal', 'json-schema-traverse'],
  'storage (git)': ['isomorphic-git', 'pako', 'sha.js', 'async-lock', 'ignore', 'pify', 'clean-git-ref', 'crc-32', 'diff3', 'minimisted'],
  'catalog circuit (cockatiel)': ['cockatiel'],
  'write rate limit': ['express-rate-limit'],
};

/** Packages that are no layer of their own: their samples go to whoever called them. */
const NEUTRAL_PACKAGES = new Set(['lru-cache', 'tslib', 'debug', 'ms', 'depd']);

/** Layers of the bundle's own modules, by source path prefix (first match wins). */
const SOURCE_LAYERS: readonly (readonly [string, string])[] = [
  ['components/auth-jwt/', 'JWT verification'],
  ['bases/metadata-api/src/http/fast-reads.ts', 'fast reads: URL, query and answer (ours)'],
  ['bases/metadata-api/src/http/auth.ts', 'authentication middleware and policy (ours)'],
  ['components/authz/', 'authentication middleware and policy (ours)'],
  ['bases/metadata-api/src/http/metrics.ts', 'metrics'],
  ['bases/metadata-api/src/http/request-log.ts', 'request logging'],
  ['bases/metadata-api/src/http/security-headers.ts', 'security headers'],
  ['bases/metadata-api/src/http/sequence.ts', 'middleware sequence (ours)'],
  ['bases/metadata-api/src/http/operation.ts', 'operation wrapper and request validation (ours)'],
  ['bases/metadata-api/src/http/request-guards.ts', 'operation wrapper and request validation (ours)'],
  ['bases/metadata-api/src/routes/', 'route handlers (ours)'],
  ['bases/metadata-api/src/catalog-circuit', 'catalog circuit (cockatiel)'],
  ['components/catalog-postgres/', 'catalog database client (Prisma, pg)'],
  ['components/catalog/', 'catalog (CatalogedStorage)'],
  ['components/storage-local/', 'storage (git)'],
  ['components/storage/', 'storage (git)'],
  ['components/datasets/', 'dataset service'],
  ['bases/metadata-api/', 'API base (other)'],
  ['components/', 'other components'],
];

/** Everything Express 5 is made of: its samples are routing and request/response plumbing. */
const EXPRESS_PACKAGES = new Set(
  (
    'express router finalhandler send body-parser content-type type-is mime-types mime-db media-typer accepts negotiator on-finished ee-first ' +
    'statuses path-to-regexp parseurl qs encodeurl escape-html etag fresh range-parser vary setprototypeof http-errors cookie cookie-signature ' +
    'proxy-addr forwarded ipaddr.js raw-body iconv-lite bytes unpipe merge-descriptors content-disposition safe-buffer methods serve-static ' +
    'is-promise once wrappy router'
  ).split(' '),
);

const packageLayer = new Map<string, string>(
  Object.entries(PACKAGE_LAYERS).flatMap(([layer, packages]) => packages.map((name) => [name, layer] as const)),
);

/** The bundle's module boundaries: esbuild writes `// <source path>` before each module's code. */
function bundleModules(file: string): { line: number; source: string }[] {
  const modules: { line: number; source: string }[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const match = /^\/\/ ((?:components|bases)\/\S+)$/.exec(text);
      if (match) modules.push({ line, source: match[1]! });
    });
  return modules;
}

/**
 * Summarises the samples of `profileFile` taken between `startMsBeforeEnd` and `endMsBeforeEnd` before the profile ended
 * (all samples without a window): a profile ends when its process exits, which is what the caller can time.
 */
export function summariseProfile(
  profileFile: string,
  window?: { startMsBeforeEnd: number; endMsBeforeEnd: number },
  top = 25,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const bundles = new Map<string, { line: number; source: string }[]>();

  const sourceOf = (frame: CallFrame): string | undefined => {
    if (!frame.url.endsWith('/dist/metadata-api/main.js')) return undefined;
    let modules = bundles.get(frame.url);
    if (!modules) bundles.set(frame.url, (modules = bundleModules(new URL(frame.url).pathname)));
    let found: string | undefined;
    for (const module of modules) {
      if (module.line > frame.lineNumber) break;
      found = module.source;
    }
    return found;
  };
  /** The frame's own layer, or undefined when its caller decides (Node's code, neutral packages, anonymous natives). */
  const layerOfFrame = (frame: CallFrame): string | undefined => {
    if (frame.functionName === '(garbage collector)') return 'garbage collection';
    if (frame.functionName === '(program)') return 'V8 and native code outside JavaScript (program)';
    if (frame.functionName === '(idle)') return 'idle';
    const nodeModules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url);
    if (nodeModules) {
      const name = nodeModules[1]!;
      if (NEUTRAL_PACKAGES.has(name)) return undefined;
      if (EXPRESS_PACKAGES.has(name)) return 'Express (routing, request and response)';
      return packageLayer.get(name) ?? `other package: ${name}`;
    }
    const source = sourceOf(frame);
    if (source) return SOURCE_LAYERS.find(([prefix]) => source.startsWith(prefix))?.[1] ?? 'API base (other)';
    return undefined;
  };
  const layerCache = new Map<number, string>();
  const layerOf = (id: number): string => {
    const cached = layerCache.get(id);
    if (cached) return cached;
    let layer: string | undefined;
    for (let current: number | undefined = id; current !== undefined && !layer; current = parent.get(current)) {
      layer = layerOfFrame(byId.get(current)!.callFrame);
    }
    const result = layer ?? 'Node core (http, net, timers) with no caller of ours';
    layerCache.set(id, result);
    return result;
  };

  const layerSamples = new Map<string, number>();
  const selfSamples = new Map<number, number>();
  const totalMicroseconds = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  let time = 0;
  let counted = 0;
  profile.samples.forEach((id, index) => {
    time += profile.timeDeltas[index] ?? 0;
    const beforeEndMs = (totalMicroseconds - time) / 1000;
    if (window && (beforeEndMs > window.startMsBeforeEnd || beforeEndMs < window.endMsBeforeEnd)) return;
    const layer = layerOf(id);
    if (layer === 'idle') return;
    counted += 1;
    layerSamples.set(layer, (layerSamples.get(layer) ?? 0) + 1);
    selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  });
  const share = (samples: number) => (counted === 0 ? 0 : samples / counted);
  const layers = [...layerSamples.entries()]
    .map(([layer, samples]) => ({ layer, samples, share: share(samples) }))
    .sort((left, right) => right.samples - left.samples);
  // Self time by function (nodes of one function at different stack positions added up).
  const functions = new Map<string, { name: string; location: string; layer: string; samples: number }>();
  for (const [id, samples] of selfSamples) {
    const frame = byId.get(id)!.callFrame;
    const source = sourceOf(frame);
    const file = source ?? frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/work\/[^/]+\//, '');
    const location = file ? `${file}${source ? '' : `:${frame.lineNumber + 1}`}` : '(native)';
    const key = `${frame.functionName}|${location}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', location, layer: layerOf(id), samples: 0 };
    entry.samples += samples;
    functions.set(key, entry);
  }
  return {
    samples: counted,
    layers,
    functions: [...functions.values()]
      .sort((left, right) => right.samples - left.samples)
      .slice(0, top)
      .map(({ name, location, layer, samples }) => ({ name, location, layer, share: share(samples) })),
  };
}

/** The summary as Markdown tables. */
export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  return [
    `\n${title}: ${summary.samples} samples (idle left out)\n`,
    '| layer (nearest frame of ours or of a package on the stack) | samples | share |',
    '|---|---:|---:|',
    ...summary.layers.map((row) => `| ${row.layer} | ${row.samples} | ${percent(row.share)} |`),
    '\n| top self time | where | layer | share |',
    '|---|---|---|---:|',
    ...summary.functions.map((row) => `| ${row.name} | ${row.location} | ${row.layer} | ${percent(row.share)} |`),
  ].join('\n');
}

/**
 * Profiles one load: starts a process with `node --cpu-prof` arguments (`start`), runs `prepare` (outside the window),
 * then `measure`, stops the process (which writes its profile when it exits) and summarises the samples taken while
 * `measure` ran. Profiles are kept after the run for a closer look (Chrome DevTools or speedscope open them), in
 * `BENCH_PROFILE_DIR` or `$TMPDIR/metastore-bench-profiles`.
 */
export async function profileLoad<P extends { stop(): Promise<void> }, S, T>(
  what: string,
  start: (nodeArgs: string[]) => Promise<P>,
  prepare: (process: P) => Promise<S>,
  measure: (process: P, prepared: S) => Promise<T>,
): Promise<{ result: T; file: string; summary: ProfileSummary }> {
  const profileDir = process.env['BENCH_PROFILE_DIR'] ?? path.join(os.tmpdir(), 'metastore-bench-profiles');
  await mkdir(profileDir, { recursive: true });
  const before = new Set(await readdir(profileDir));
  let running: P | undefined = await start(['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  try {
    const prepared = await prepare(running);
    const started = Date.now();
    const result = await measure(running, prepared);
    const ended = Date.now();
    await running.stop();
    const stopped = Date.now();
    running = undefined;
    const written = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile') && !before.has(name));
    if (written.length !== 1) throw new Error(`${what}: expected one new CPU profile in ${profileDir}, found ${written.length}`);
    const file = path.join(profileDir, written[0]!);
    return { result, file, summary: summariseProfile(file, { startMsBeforeEnd: stopped - started, endMsBeforeEnd: stopped - ended }) };
  } finally {
    await running?.stop();
  }
}
