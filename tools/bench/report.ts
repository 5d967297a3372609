/**
 * The report `npm run bench` writes: `bench-report.md` (what the sections printed, in order, under a header naming the
 * commit, the machine and its load) and `bench-report.json` (the same, with every Markdown table a section printed as
 * rows keyed by column). The sections print Markdown; the report records it as they print, so a section needs no
 * second, structured way of saying what it measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What a `--quick` run is meant to take at most, in seconds (the README's two minutes). */
const QUICK_BUDGET_SECONDS = 120;

/** A Markdown table a section printed: the heading or line above it, its columns, and its rows (numbers as numbers). */
export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, string | number>[];
}

/** One section of the run: what it printed, its tables, how long it took, and whether it failed. */
export interface ReportSection {
  readonly name: string;
  readonly seconds: number;
  readonly error?: string;
  readonly tables: readonly ReportTable[];
  readonly text: string;
}

/** The machine and the run: enough to judge the figures (a loaded machine serves fewer requests per second). */
export interface ReportHeader {
  readonly startedAt: string;
  readonly commit: string;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  /** The 1, 5 and 15 minute load averages at the start and at the end of the run. */
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
  readonly arguments: readonly string[];
  /** The BENCH_* variables, DATABASE_URL and REDIS_URL the run had (credentials in URLs removed). */
  readonly settings: Readonly<Record<string, string>>;
  readonly seconds: number;
}

const roundedLoad = () => os.loadavg().map((value) => Math.round(value * 100) / 100);

function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

/** A URL without its password: a report may be committed. */
function withoutPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** The Markdown tables in `lines`: a header row, a separator row, then rows; titled by the nearest heading above. */
export function tablesOf(lines: readonly string[]): ReportTable[] {
  const tables: ReportTable[] = [];
  let title = '';
  const cellsOf = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!.trim();
    if (line.startsWith('#')) title = line.replace(/^#+\s*/, '');
    const separator = lines[index + 1]?.trim() ?? '';
    if (!line.startsWith('|') || !/^\|(\s*:?-+:?\s*\|)+$/.test(separator)) continue;
    const columns = cellsOf(line);
    const rows: Record<string, string | number>[] = [];
    index += 2;
    for (; index < lines.length && lines[index]!.trim().startsWith('|'); index += 1) {
      const cells = cellsOf(lines[index]!);
      rows.push(
        Object.fromEntries(columns.map((column, at) => [column, NUMBER.test(cells[at] ?? '') ? Number(cells[at]) : (cells[at] ?? '')])),
      );
    }
    index -= 1;
    tables.push({ title, columns, rows });
  }
  return tables;
}

/** Records what each section prints (still printing it), then writes the Markdown and JSON report. */
export class BenchReport {
  private readonly sections: ReportSection[] = [];
  private readonly started: number;
  private readonly startedAt: string;
  private readonly loadAtStart = roundedLoad();

  /** `clock`: milliseconds since the epoch (a test's, to stand for a long run). */
  constructor(
    private readonly args: readonly string[],
    private readonly clock: () => number = Date.now,
  ) {
    this.started = clock();
    this.startedAt = new Date(this.started).toISOString();
  }

  /** Runs one section, recording its output (console.log and console.error) and its failure, if any, without stopping the run. */
  async section(name: string, run: () => Promise<void>): Promise<void> {
    const captured: string[] = [];
    const { log, error } = console;
    const record =
      (write: (...data: unknown[]) => void) =>
      (...data: unknown[]) => {
        captured.push(data.map((datum) => (typeof datum === 'string' ? datum : String(datum))).join(' '));
        write(...data);
      };
    console.log = record(log);
    console.error = record(error);
    const started = Date.now();
    let failure: string | undefined;
    try {
      await run();
    } catch (caught) {
      failure = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
      error(`bench: section ${name} failed: ${failure}`);
    } finally {
      console.log = log;
      console.error = error;
    }
    const lines = captured.join('\n').split('\n');
    this.sections.push({
      name,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      ...(failure !== undefined ? { error: failure } : {}),
      tables: tablesOf(lines),
      text: lines.join('\n').trim(),
    });
  }

  /** Whether a section failed. */
  get failed(): boolean {
    return this.sections.some((section) => section.error !== undefined);
  }

  private header(): ReportHeader {
    const settings = Object.fromEntries(
      Object.entries(process.env)
        .filter(([name]) => name.startsWith('BENCH_') || name === 'DATABASE_URL' || name === 'REDIS_URL')
        .map(([name, value]) => [name, withoutPassword(value ?? '')])
        .sort(([left], [right]) => left!.localeCompare(right!)),
    );
    return {
      startedAt: this.startedAt,
      commit: currentCommit(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverageAtStart: this.loadAtStart,
      loadAverageAtEnd: roundedLoad(),
      arguments: this.args,
      settings,
      seconds: Math.round((this.clock() - this.started) / 1000),
    };
  }

  /** Writes `bench-report.md` and `bench-report.json` into `directory`; returns their paths. */
  async write(directory: string): Promise<{ markdown: string; json: string }> {
    const header = this.header();
    await mkdir(directory, { recursive: true });
    const markdown = path.join(directory, 'bench-report.md');
    const json = path.join(directory, 'bench-report.json');
    const settings = Object.entries(header.settings).map(([name, value]) => `${name}=${value}`);
    const lines = [
      '# Metastore bench report',
      '',
      `- started ${header.startedAt}, ${header.seconds} s; commit ${header.commit}; \`npm run bench${header.arguments.length > 0 ? ` -- ${header.arguments.join(' ')}` : ''}\``,
      `- node ${header.node}; ${header.cpus} cores (${header.cpuModel}), ${header.memoryGiB} GiB`,
      `- load average (1, 5, 15 min) at start ${header.loadAverageAtStart.join(', ')}, at end ${header.loadAverageAtEnd.join(', ')}: the machine is shared, so compare the ratios measured side by side, not req/s across reports`,
      `- settings: ${settings.length > 0 ? settings.join(', ') : 'defaults'}`,
      '',
      ...this.sections.flatMap((section) => [
        `<!-- section ${section.name}: ${section.seconds} s -->`,
        ...(section.error !== undefined ? [`**Section ${section.name} failed:** \`${section.error.split('\n')[0]}\``, ''] : []),
        section.text,
        '',
      ]),
      // `--quick` is meant to fit two minutes; its setups are not bounded by construction, so say when a run did not.
      ...(header.arguments.includes('--quick') && header.seconds > QUICK_BUDGET_SECONDS
        ? [
            `**Over budget:** this \`--quick\` run took ${header.seconds} s, more than the ${QUICK_BUDGET_SECONDS} s it is meant to fit.`,
            '',
          ]
        : []),
      `Total: ${header.seconds} s (${this.sections.map((section) => `${section.name} ${section.seconds} s`).join(', ')}).`,
    ];
    await writeFile(markdown, `${lines.join('\n').trim()}\n`);
    await writeFile(json, `${JSON.stringify({ ...header, sections: this.sections }, null, 2)}\n`);
    return { markdown, json };
  }
}
