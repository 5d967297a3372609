import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BenchReport, tablesOf } from './report';

describe('tablesOf', () => {
  it('reads each Markdown table under its nearest heading, numbers as numbers, and leaves other lines alone', () => {
    const lines = [
      '### Read path, embedded catalog',
      'some prose | with a bar',
      '| load | req/s | / Express |',
      '|---|---:|---:|',
      '| API: read at head | 2468 | 0.50 (0.47–0.53) |',
      '| ceiling | 5207.5 | 1.00 |',
      '',
      '| operation | requests |',
      '|---|---:|',
      '| create | 3 |',
    ];
    expect(tablesOf(lines)).toEqual([
      {
        title: 'Read path, embedded catalog',
        columns: ['load', 'req/s', '/ Express'],
        rows: [
          { load: 'API: read at head', 'req/s': 2468, '/ Express': '0.50 (0.47–0.53)' },
          { load: 'ceiling', 'req/s': 5207.5, '/ Express': 1 },
        ],
      },
      { title: 'Read path, embedded catalog', columns: ['operation', 'requests'], rows: [{ operation: 'create', requests: 3 }] },
    ]);
  });
});

describe('BenchReport', () => {
  it('says when a --quick run took more than the two minutes it is meant to fit', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-report-'));
    let now = Date.parse('2026-12-06T00:00:00Z');
    try {
      const quick = new BenchReport(['--quick'], () => now);
      now += 121_000;
      const over = await readFile((await quick.write(directory)).markdown, 'utf8');
      expect(over).toContain('**Over budget:** this `--quick` run took 121 s, more than the 120 s it is meant to fit.');
      const full = new BenchReport([], () => now);
      now += 900_000;
      expect(await readFile((await full.write(directory)).markdown, 'utf8')).not.toContain('Over budget');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('records what each section prints, its failure without stopping the next, and writes both files', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'metastore-bench-report-'));
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const report = new BenchReport(['--quick']);
      await report.section('first', async () => {
        console.log('## First\n\n| a | b |\n|---|---|\n| x | 2 |');
      });
      await report.section('broken', async () => {
        console.log('partial output');
        throw new Error('the test server did not start');
      });
      expect(report.failed).toBe(true);
      const written = await report.write(directory);
      const markdown = await readFile(written.markdown, 'utf8');
      expect(markdown).toContain('# Metastore bench report');
      expect(markdown).toContain('`npm run bench -- --quick`');
      expect(markdown).toMatch(/load average \(1, 5, 15 min\) at start [\d.]+, [\d.]+, [\d.]+/);
      expect(markdown).toContain('| x | 2 |');
      expect(markdown).toContain('**Section broken failed:** `Error: the test server did not start`');
      // The run's time and each section's, last.
      expect(markdown.trim().split('\n').at(-1)).toMatch(/^Total: \d+ s \(first [\d.]+ s, broken [\d.]+ s\)\.$/);
      const json = JSON.parse(await readFile(written.json, 'utf8'));
      expect(json.sections.map((section: { name: string }) => section.name)).toEqual(['first', 'broken']);
      expect(json.sections[0].tables).toEqual([{ title: 'First', columns: ['a', 'b'], rows: [{ a: 'x', b: 2 }] }]);
      expect(json.sections[1]).toMatchObject({ text: 'partial output', error: expect.stringContaining('did not start') });
      expect(json.cpus).toBeGreaterThan(0);
      // The console is given back after each section.
      expect(console.log).toBe(log);
    } finally {
      log.mockRestore();
      error.mockRestore();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
