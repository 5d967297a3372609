module.exports = { ...require('../../jest.preset.cjs'), displayName: 'storage-local', rootDir: __dirname };
