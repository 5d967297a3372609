// Lint, and the architecture's dependency rules (see DEVELOPING.md, "Boundaries").
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const adapterLibraries = ['express', '@prisma/client', 'ioredis', '@octokit/*', '@gitbeaker/*', 'isomorphic-git', 'pg'];

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
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:domain'],
              bannedExternalImports: adapterLibraries,
            },
            { sourceTag: 'layer:adapter', onlyDependOnLibsWithTags: ['layer:domain'] },
          ],
        },
      ],
      // The boundary rule does not see deep imports into another brick: only its index (or testing) entry.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@metastore/[^/]+/(?!testing$).+', message: "Import a brick only through its index ('@metastore/x') or './testing'." },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
