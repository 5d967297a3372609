module.exports = { ...require('../../jest.preset.cjs'), displayName: 'events-redis', rootDir: __dirname };
