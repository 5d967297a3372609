import type { Writable } from 'node:stream';
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** Where a process's log goes: a terminal (a person reads it) or not (a collector does), and optionally another stream than stdout. */
export interface LogOutput {
  /** Whether standard output is a terminal (`process.stdout.isTTY`). */
  readonly terminal: boolean;
  /** Where the lines go instead of standard output (tests). */
  readonly destination?: Writable;
}

/**
 * A process's logger: JSON lines, one object per line, for collectors (a container, a pipe, a file: anything but a
 * terminal); on a terminal the same records human-readable through pino-pretty (local time, level, message, then the
 * other fields on the same line; no pid or hostname), written synchronously so nothing is lost when the process exits.
 */
export function createLogger(options: LoggerOptions, output: LogOutput): Logger {
  if (output.terminal) {
    return pino(
      options,
      pretty({
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
        sync: true,
        ...(output.destination ? { destination: output.destination, colorize: false } : {}),
      }),
    );
  }
  return output.destination ? pino(options, output.destination) : pino(options);
}
