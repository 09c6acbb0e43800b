import { jestConfig } from '../jest.preset.js';

/**
 * The tests Stryker runs against each mutant of the code that protects users (stryker.config.mjs): the
 * suites written for those rules, not the whole suite — the end-to-end and bench tests would multiply a
 * mutation run's hours without guarding these files any better.
 */
export default {
  ...jestConfig(),
  testMatch: [
    'auth.test.ts',
    'forge-auth.test.ts',
    'cross-site.test.ts',
    'owner.test.ts',
    'access.test.ts',
    'permissions.test.ts',
    'retriever.test.ts',
    'qdrant-store.test.ts',
  ].map((file) => `<rootDir>/test/**/${file}`),
};
