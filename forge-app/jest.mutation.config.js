import base from './jest.config.js';

/** The tests Stryker runs against each mutant of the resolvers' checks (stryker.config.mjs). */
export default {
  ...base,
  testMatch: ['<rootDir>/test/resolvers/**/*.test.ts', '<rootDir>/test/rovo/**/*.test.ts'],
};
