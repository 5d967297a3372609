module.exports = { ...require('../../jest.preset.cjs'), displayName: 'git-host-test-server', rootDir: __dirname };
