// The bench's report (report.ts: the tables read back from what the sections print) is tested like a brick's code.
module.exports = { ...require('../../jest.preset.cjs'), displayName: 'bench', rootDir: __dirname, testMatch: ['<rootDir>/*.spec.ts'] };
