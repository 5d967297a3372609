// Lint, and the architecture's dependency rules (see DEVELOPING.md, "Boundaries").
import { readdirSync, readFileSync } from 'node:fs';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Directories of the bricks tagged `tag` in their project.json: the rules below follow the tags, not a hand-kept list. */
function bricksTagged(tag) {
  return ['components', 'bases'].flatMap((root) =>
    readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${root}/${entry.name}`)
      .filter((directory) => {
        try {
          return JSON.parse(readFileSync(`${directory}/project.json`, 'utf8')).tags?.includes(tag);
        } catch {
          return false;
        }
      }),
  );
}

// What a layer:domain brick may import from outside, judged one by one: pure computation, no I/O, no globals.
// A new library goes here only after that judgement (a denylist let jsonwebtoken, PGlite and pino through).
const domainLibraries = [
  'ajv', // JSON Schema validation (datasets, events)
  'ajv-formats',
  'fast-json-patch', // RFC 6902 diffs (revisions)
  'json-merge-patch', // RFC 7386 (datasets)
  'lossless-json', // numbers as written, 1.0 stays 1.0 (datasets)
  'lru-cache', // in-memory caches (catalog)
  'is-git-ref-name-valid', // git check-ref-format (storage, tags)
];
// Imported by domain specs only (the Nx rule cannot tell a spec from the code beside it; the rule below can).
const domainTestLibraries = ['fast-check', '@asyncapi/specs'];
// Node built-ins a domain brick may use: hashing and ids (node:crypto), deep equality (node:util). Never fs, net, http, ...
const domainBuiltins = ['node:crypto', 'node:util'];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const packageAndSubpaths = (names) => names.flatMap((name) => [name, `${name}/*`]);

// The boundary rule does not see deep imports into another brick: only its index (or testing) entry.
const deepImports = {
  regex: '^@metastore/[^/]+/(?!testing$).+',
  message: "Import a brick only through its index ('@metastore/x') or './testing'.",
};
// Testing entries (fakes, contract suites, test servers) and layer:testing bricks are for specs and test helpers only;
// the tag rule cannot tell a spec from the code beside it.
const testingBricks = bricksTagged('layer:testing').map((directory) => directory.split('/').pop());
const testingImports = {
  regex: `^@metastore/(?:[^/]+/testing|(?:${testingBricks.join('|')})(?:/.*)?)$`,
  message: "'@metastore/x/testing' and layer:testing bricks are for specs, src/testing files and tools/{bench,soak} only.",
};
// The same inside a brick: its own src/testing.ts and src/testing/ (fakes, contract suites) are reached only from specs and testing files.
const ownTestingImports = {
  regex: '^\\.{1,2}/(?:.*/)?testing(?:/.*)?$',
  message: "A brick's src/testing.ts and src/testing/ (fakes, contract suites) are for its specs and testing files only.",
};
// Production code of a domain brick: relative files, our bricks (the rules above judge which entry), and the allowlists.
const allowedInDomain = ['\\.{1,2}/', '@metastore/', ...[...domainLibraries, ...domainBuiltins].map((name) => `${escape(name)}(?:/|$)`)];
const domainOnly = {
  regex: `^(?!(?:${allowedInDomain.join('|')})).*`,
  message: `A layer:domain brick imports only pure libraries (${domainLibraries.join(', ')}) and ${domainBuiltins.join(', ')}; judge a new one and add it to eslint.config.mjs.`,
};

const domainFiles = bricksTagged('layer:domain').map((directory) => `${directory}/**/*.ts`);
const codeFiles = ['components/**/*.ts', 'bases/**/*.ts', 'projects/**/*.ts', 'tools/**/*.ts', 'tools/**/*.mjs'];
const testFiles = ['**/*.spec.ts', '**/src/testing.ts', '**/src/testing/**', 'tools/bench/**', 'tools/soak/**'];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', 'coverage/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    files: codeFiles,
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:project', onlyDependOnLibsWithTags: ['type:base'] },
            { sourceTag: 'type:base', onlyDependOnLibsWithTags: ['type:component'] },
            // layer:composition (the runtime: configuration and the adapter registry) is for bases only; it alone may pick adapters.
            { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:component'], notDependOnLibsWithTags: ['layer:composition'] },
            // layer:testing (test utilities such as the fault proxy) is for specs only; see DEVELOPING.md.
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:domain', 'layer:testing'],
              allowedExternalImports: packageAndSubpaths([...domainLibraries, ...domainTestLibraries]),
            },
            // layer:platform: low-level I/O helpers (durable files) with no domain knowledge, for adapters; domain bricks do no I/O.
            { sourceTag: 'layer:adapter', onlyDependOnLibsWithTags: ['layer:domain', 'layer:platform', 'layer:testing'] },
            { sourceTag: 'layer:platform', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: 'layer:composition',
              onlyDependOnLibsWithTags: ['layer:domain', 'layer:adapter', 'layer:platform', 'layer:testing'],
            },
            { sourceTag: 'layer:testing', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier (.prettierrc.json, checked by `npm run format:check`) lays code out within 140 columns; it cannot wrap comments, so this
      // holds them to the same width. Strings, templates and regular expressions are left whole (a message reads best unbroken).
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: codeFiles,
    ignores: testFiles,
    rules: { 'no-restricted-imports': ['error', { patterns: [deepImports, testingImports, ownTestingImports] }] },
  },
  {
    // Node built-ins are no packages to Nx: the allowlist for domain code is enforced here, on every import form.
    files: domainFiles,
    ignores: testFiles,
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImports, testingImports, ownTestingImports, domainOnly] }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression', message: 'A layer:domain brick imports statically, so that lint sees what it imports.' },
        {
          selector: "MemberExpression[property.name='getBuiltinModule']",
          message: 'A layer:domain brick loads no Node built-in behind the import rules.',
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
