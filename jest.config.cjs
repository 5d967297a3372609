// Runs every brick's tests in one Jest invocation (one summary); each brick's own jest.config.cjs serves Nx too.
module.exports = {
  projects: ['<rootDir>/components/*/jest.config.cjs', '<rootDir>/bases/*/jest.config.cjs'],
};
