module.exports = { ...require('../../jest.preset.cjs'), displayName: 'search-index', rootDir: __dirname };
