// Runs every brick's tests in one Jest invocation (one summary); each brick's own jest.config.cjs serves Nx too.
module.exports = {
  projects: ['<rootDir>/components/*/jest.config.cjs', '<rootDir>/bases/*/jest.config.cjs', '<rootDir>/tools/*/jest.config.cjs'],
  // A global option: the projects' own testTimeout is ignored in a multi-project run. Tests that start servers
  // (PostgreSQL databases, git repositories, Redis) need more than Jest's 5 s on a busy two-core machine.
  testTimeout: 30_000,
};
