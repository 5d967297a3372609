module.exports = { ...require('../../jest.preset.cjs'), displayName: 'fault-proxy', rootDir: __dirname };
