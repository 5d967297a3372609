/**
 * What the read bench reads from the operating system about the processes it loads (Linux: `ss`, /proc), without
 * touching them. How often the API talks to its catalog database: the TCP data segments its connections to the database
 * sent (`ss -ti`), counted before and after a load; with the pg driver a query is one segment (Prisma writes parse,
 * bind, execute and sync at once), so the difference approximates queries, for the embedded PGlite (whose socket listens
 * inside the API process) and a server alike. And the CPU time a server used.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Segments sent so far by each of `pid`'s connections to `port`, by local address; undefined where `ss` is missing. */
export function segmentsSentTo(pid: number, port: number): Map<string, number> | undefined {
  let output: string;
  try {
    output = execFileSync('ss', ['-tinpH', 'state', 'established'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
  // Each socket is a line with its addresses and owner, then an indented line with its counters.
  const lines = output.split('\n');
  const sent = new Map<string, number>();
  lines.forEach((line, index) => {
    const addresses = /(\S+):(\d+)\s+(\S+):(\d+)\s+users:\(.*pid=(\d+),/.exec(line);
    if (!addresses || Number(addresses[5]) !== pid || Number(addresses[4]) !== port) return;
    const counters = lines[index + 1] ?? '';
    sent.set(`${addresses[1]}:${addresses[2]}`, Number(/data_segs_out:(\d+)/.exec(counters)?.[1] ?? 0));
  });
  return sent;
}

/** Segments sent between two counts: by connections open at both, and by those opened since (one closed in between is lost). */
export function segmentsBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [socket, count] of after) total += count - (before.get(socket) ?? 0);
  return total;
}

/** The ports `pid` listens on (TCP), for finding the embedded database's port beside the API's. */
export function listeningPorts(pid: number): number[] {
  let output: string;
  try {
    output = execFileSync('ss', ['-tlnpH'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return output
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => Number(/:(\d+)\s+\S+:\*/.exec(line)?.[1] ?? NaN))
    .filter((port) => Number.isInteger(port));
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user and system, all threads) `pid` has used so far, from /proc (Linux); undefined elsewhere. Per request,
 * it tells what a server spends less noisily than its throughput on a machine others share.
 */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    // The fields after the command name (which may hold spaces), from the third field on: utime and stime are the 14th and 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
