module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tags', rootDir: __dirname };
