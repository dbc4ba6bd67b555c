// Jest configuration for the CDK app's unit tests (ts-jest, node environment, tests under test/).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/setup.ts'],
  globalSetup: '<rootDir>/test/scratch-setup.ts',
  globalTeardown: '<rootDir>/test/scratch-teardown.ts',
  transform: {
    '^.+\\.tsx?$': 'ts-jest',
  },
};
