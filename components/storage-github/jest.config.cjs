module.exports = { ...require('../../jest.preset.cjs'), displayName: 'storage-github', rootDir: __dirname };
