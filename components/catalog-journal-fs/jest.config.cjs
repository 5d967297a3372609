module.exports = { ...require('../../jest.preset.cjs'), displayName: 'catalog-journal-fs', rootDir: __dirname };
