module.exports = { ...require('../../jest.preset.cjs'), displayName: 'durable-files', rootDir: __dirname };
