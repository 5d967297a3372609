module.exports = { ...require('../../jest.preset.cjs'), displayName: 'revisions', rootDir: __dirname };
