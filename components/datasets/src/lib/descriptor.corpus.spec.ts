import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { corpusEntries, corpusText } from '../testing';
import { DatasetService } from './dataset.service';
import { DESCRIPTOR_ISSUE_CODES, descriptorCodesMarkdown } from './descriptor.codes';
import { DescriptorValidator } from './descriptor.validator';

const sortedCodes = (issues: readonly { code: string }[]) => [...new Set(issues.map((issue) => issue.code))].sort();

describe('the real-world corpus (src/testing/corpus, manifest.json)', () => {
  const validator = new DescriptorValidator();
  const entries = corpusEntries();

  it('holds 40+ packages from many sources, each with its origin and every verdict represented', () => {
    expect(entries.length).toBeGreaterThanOrEqual(40);
    expect(new Set(entries.map((entry) => entry.source.repository)).size).toBeGreaterThanOrEqual(10);
    for (const entry of entries) expect(entry.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(entries.map((entry) => entry.verdict))).toEqual(new Set(['valid', 'valid-with-warnings', 'invalid']));
    expect(new Set(entries.map((entry) => entry.version))).toEqual(new Set(['1.0', '2.0']));
  });

  // What a write answers (the profile rules, then the Git LFS pointers), so that a valid package refused by either fails.
  const datasets = new DatasetService({ storage: new InMemoryDatasetStorage(), validator });

  it.each(entries.map((entry) => [entry.file, entry] as const))('%s keeps its verdict', (_file, entry) => {
    const report = datasets.validate(JSON.parse(corpusText(entry)));
    const lenient = report.warnings.filter((warning) => DESCRIPTOR_ISSUE_CODES[warning.code].kind === 'lenient');
    const verdict = report.errors.length > 0 ? 'invalid' : lenient.length > 0 ? 'valid-with-warnings' : 'valid';
    expect({ version: report.version, verdict, errors: sortedCodes(report.errors), warnings: sortedCodes(report.warnings) }).toEqual({
      version: entry.version,
      verdict: entry.verdict,
      errors: entry.errors,
      warnings: entry.warnings,
    });
  });

  it.each(entries.filter((entry) => entry.verdict === 'valid-with-warnings').map((entry) => [entry.file, entry] as const))(
    '%s is refused under strict validation, with its lenient codes as errors',
    (_file, entry) => {
      const report = validator.validate(JSON.parse(corpusText(entry)), { strict: true });
      const lenient = entry.warnings.filter((code) => DESCRIPTOR_ISSUE_CODES[code].kind === 'lenient');
      expect(sortedCodes(report.errors)).toEqual(lenient);
    },
  );

  it('answers one error per cause: no invalid entry gets more errors than it has distinct pointers', () => {
    for (const entry of entries.filter((candidate) => candidate.verdict === 'invalid')) {
      const { errors } = validator.validate(JSON.parse(corpusText(entry)));
      expect(errors.length).toBe(new Set(errors.map((error) => `${error.pointer} ${error.code}`)).size);
      for (const error of errors)
        expect(error).toEqual({
          pointer: expect.any(String),
          code: expect.any(String),
          rule: expect.any(String),
          message: expect.any(String),
        });
    }
  });

  it('covers every lenient code', () => {
    const seen = new Set(entries.flatMap((entry) => entry.warnings));
    const lenient = Object.entries(DESCRIPTOR_ISSUE_CODES)
      .filter(([, meta]) => meta.kind === 'lenient')
      .map(([code]) => code);
    expect(lenient.filter((code) => !seen.has(code as never))).toEqual([]);
  });
});

describe("the brick's README", () => {
  it('lists every descriptor code as descriptor.codes.ts declares it', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(/<!-- codes:begin -->\n([\s\S]*?)\n<!-- codes:end -->/.exec(readme)?.[1]).toBe(descriptorCodesMarkdown());
  });
});
