module.exports = { ...require('../../jest.preset.cjs'), displayName: 'storage-gitlab', rootDir: __dirname };
