// The soak's own accounting (ledger.ts) is tested like a brick's code; the soak itself is run by `npm run soak`.
module.exports = { ...require('../../jest.preset.cjs'), displayName: 'soak', rootDir: __dirname, testMatch: ['<rootDir>/*.spec.ts'] };
