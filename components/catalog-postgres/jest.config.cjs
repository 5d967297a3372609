module.exports = { ...require('../../jest.preset.cjs'), displayName: 'catalog-postgres', rootDir: __dirname };
