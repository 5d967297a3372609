module.exports = { ...require('../../jest.preset.cjs'), displayName: 'auth-jwt', rootDir: __dirname };
