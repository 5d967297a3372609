// Lint, and the architecture's dependency rules (see DEVELOPING.md, "Boundaries").
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const adapterLibraries = ['express', '@prisma/client', 'ioredis', '@octokit/*', '@gitbeaker/*', 'isomorphic-git', 'pg'];
// The boundary rule does not see deep imports into another brick: only its index (or testing) entry.
const deepImports = { regex: '^@metastore/[^/]+/(?!testing$).+', message: "Import a brick only through its index ('@metastore/x') or './testing'." };
// layer:testing bricks are for specs and test helpers only; the tag rule cannot tell a spec from the code beside it.
const testingBricks = { regex: '^@metastore/fault-proxy(/.*)?$', message: 'A layer:testing brick is for specs and test helpers only.' };

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', 'coverage/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['components/**/*.ts', 'bases/**/*.ts', 'projects/**/*.ts'],
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
            { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:component'] },
            // layer:testing (test utilities such as the fault proxy) is for specs only; see DEVELOPING.md.
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:domain', 'layer:testing'],
              bannedExternalImports: adapterLibraries,
            },
            { sourceTag: 'layer:adapter', onlyDependOnLibsWithTags: ['layer:domain', 'layer:testing'] },
            { sourceTag: 'layer:testing', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['components/**/*.ts', 'bases/**/*.ts', 'projects/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/src/testing.ts', '**/src/testing/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepImports, testingBricks] }] },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
