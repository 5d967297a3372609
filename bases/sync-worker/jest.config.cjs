module.exports = { ...require('../../jest.preset.cjs'), displayName: 'sync-worker', rootDir: __dirname };
