import { Presets, SingleBar } from 'cli-progress';
import type { SyncProgress } from '@metastore/catalog';

/** Where progress goes: a terminal gets a live bar, anything else (a log file, CI) plain lines now and then. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** A progress callback for a sync run, and `finish()` to end its display. */
export interface ProgressReporter {
  readonly onProgress: SyncProgress;
  finish(): void;
}

/** A live bar (cli-progress) on a TTY; otherwise a line at most every `intervalMs` and at the end. */
export function progressReporter(
  label: string,
  output: ProgressOutput,
  options: { intervalMs?: number; now?: () => number } = {},
): ProgressReporter {
  if (output.isTTY) {
    const bar = new SingleBar(
      {
        stream: output as NodeJS.WritableStream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} datasets | {duration_formatted} elapsed, ETA {eta_formatted}`,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      onProgress: (done, total) => {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else bar.update(done);
      },
      finish: () => {
        if (started) bar.stop();
      },
    };
  }
  const intervalMs = options.intervalMs ?? 5000;
  const now = options.now ?? Date.now;
  let last: { done: number; total: number } | undefined;
  let printedAt = -Infinity;
  let printed: { done: number; total: number } | undefined;
  const print = (progress: { done: number; total: number }) => {
    const percent = progress.total === 0 ? 100 : Math.floor((progress.done / progress.total) * 100);
    output.write(`${label}: ${progress.done}/${progress.total} datasets (${percent}%)\n`);
    printed = progress;
    printedAt = now();
  };
  return {
    onProgress: (done, total) => {
      last = { done, total };
      if (now() - printedAt >= intervalMs) print(last);
    },
    finish: () => {
      if (last && (printed?.done !== last.done || printed.total !== last.total)) print(last);
    },
  };
}
