// The deployables' checks: the kustomize overlays, the Dockerfiles and the compose file (run by `npm test` with the rest).
const preset = require('../../jest.preset.cjs');

module.exports = { ...preset, displayName: 'deploy-check', rootDir: __dirname, testMatch: ['<rootDir>/*.spec.ts'] };
