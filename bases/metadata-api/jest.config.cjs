module.exports = { ...require('../../jest.preset.cjs'), displayName: 'metadata-api', rootDir: __dirname };
