module.exports = { ...require('../../jest.preset.cjs'), displayName: 'datasets', rootDir: __dirname };
