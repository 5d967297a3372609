import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';

/** What a kill may leave behind right now, by kind: the paths found (temporary files, locks). */
export type LeftoverScan<Kind extends string> = Readonly<Record<Kind, ReadonlySet<string>>>;

/** Settings of a kill loop. */
export interface KillLoopOptions<Kind extends string> {
  /** The child's entry point (TypeScript), bundled once with every dependency inlined: a start costs ~0.1 s, not tsx's second. */
  readonly entryPoint: string;
  /** The tsconfig whose `paths` resolve workspace imports in the bundle (default: esbuild's own lookup). */
  readonly tsconfig?: string;
  /** The child's arguments in run `run` (from 0). */
  readonly args?: (run: number) => readonly string[];
  /** How many children to start and kill, one after the other. */
  readonly kills: number;
  /** Each child is killed a random time between 0 and this many milliseconds after it says it is ready. */
  readonly maxDelayMs: number;
  /** Whether a line on the child's stdout says it is ready (default: the line `ready`). */
  readonly isReady?: (line: string) => boolean;
  /** Scans for leftovers before and after each kill; the result counts the kills that left a new one of each kind. */
  readonly scanLeftovers?: () => Promise<LeftoverScan<Kind>>;
  /** Called after each kill with the lines collected so far (progress). */
  readonly onKill?: (run: number, lines: number) => void;
  /** The source of the random delays (default `Math.random`). */
  readonly random?: () => number;
}

/** What the children said and what their kills left. */
export interface KillLoopResult<Kind extends string> {
  readonly kills: number;
  /** Every complete line the children wrote on stdout but the ready lines, in order: what they acknowledged before dying. */
  readonly lines: readonly string[];
  /** Children that exited before they were killed, with their exit code and stderr. */
  readonly childErrors: readonly string[];
  /** For each kind of leftover, the kills after which a new one was found. */
  readonly leftovers: Readonly<Record<Kind, number>>;
}

/** Bundles `entryPoint` into `outDir` as a CommonJS file Node runs directly. */
async function bundleChild(entryPoint: string, outDir: string, tsconfig: string | undefined): Promise<string> {
  const outfile = path.join(outDir, `${path.basename(entryPoint).replace(/\.[cm]?ts$/, '')}.cjs`);
  await build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    ...(tsconfig ? { tsconfig } : {}),
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Starts a child process `kills` times in a row, each time killing it with SIGKILL a random time after it says it is
 * ready, and collects the lines it wrote (a line the kill cut short is not one). Each child starts on what the last
 * kill left; judging that (an audit) is the caller's.
 */
export async function runKillLoop<Kind extends string = never>(options: KillLoopOptions<Kind>): Promise<KillLoopResult<Kind>> {
  const isReady = options.isReady ?? ((line: string) => line === 'ready');
  const random = options.random ?? Math.random;
  const lines: string[] = [];
  const childErrors: string[] = [];
  const leftovers: Partial<Record<Kind, number>> = {};
  const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-kill-loop-'));
  try {
    const script = await bundleChild(options.entryPoint, bundleDir, options.tsconfig);
    for (let run = 0; run < options.kills; run += 1) {
      const before = await options.scanLeftovers?.();
      const child = spawn(process.execPath, [script, ...(options.args?.(run) ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let pending = '';
      let markReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.on('data', (chunk: Buffer) => {
        const complete = (pending + chunk.toString('utf8')).split('\n');
        pending = complete.pop()!;
        for (const line of complete) {
          if (isReady(line)) markReady();
          else lines.push(line);
        }
      });
      const closed = once(child, 'close');
      await Promise.race([ready, closed]);
      await sleep(random() * options.maxDelayMs);
      const killed = child.kill('SIGKILL');
      await closed;
      if (!killed || child.signalCode !== 'SIGKILL') childErrors.push(`child ${run} exited with ${child.exitCode}: ${stderr.trim()}`);
      if (before) {
        const after = await options.scanLeftovers!();
        for (const kind of Object.keys(before) as Kind[]) {
          const count = leftovers[kind] ?? 0;
          leftovers[kind] = [...after[kind]].some((file) => !before[kind].has(file)) ? count + 1 : count;
        }
      }
      options.onKill?.(run, lines.length);
    }
  } finally {
    await rm(bundleDir, { recursive: true, force: true });
  }
  return { kills: options.kills, lines, childErrors, leftovers: leftovers as Record<Kind, number> };
}
