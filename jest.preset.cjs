// Shared Jest settings for every brick: SWC transpiles TypeScript; workspace imports resolve to sources.
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    // PGlite's CommonJS build calls import() for Node built-ins, which Jest's VM refuses without --experimental-vm-modules.
    '/node_modules/@electric-sql/.+\\.cjs$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // ESM-only client libraries must be transformed for Jest's CommonJS mode (see DEVELOPING.md).
  transformIgnorePatterns: [
    '/node_modules/(?!(@octokit|universal-user-agent|universal-github-app-jwt|before-after-hook|content-type|@electric-sql|jose)/)',
  ],
  moduleNameMapper: {
    // Its exports map offers only an `import` condition, which Jest's CommonJS resolver never matches; the built code runs it through import().
    '^@octokit/webhooks-methods$': path.join(root, 'node_modules/@octokit/webhooks-methods/dist-node/index.js'),
    '^@metastore/([^/]+)/testing$': path.join(root, 'components/$1/src/testing.ts'),
    '^@metastore/([^/]+)$': path.join(root, 'components/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 30000,
};
