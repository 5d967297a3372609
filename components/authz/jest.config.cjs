module.exports = { ...require('../../jest.preset.cjs'), displayName: 'authz', rootDir: __dirname };
