// Mutation testing of what guards the resolvers (docs/testing.md): who is an admin, which context is
// trusted, and the gate that applies both. `pnpm mutation` at the root runs this and the service's.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/resolvers/admin-check.ts', 'src/resolvers/trusted-context.ts', 'src/resolvers/handler.ts'],
  testRunner: 'jest',
  // Named, not globbed: under pnpm the core cannot see its sibling plugins.
  plugins: ['@stryker-mutator/jest-runner', '@stryker-mutator/typescript-checker'],
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  // ts-jest only transpiles (isolatedModules), so no file needs a @ts-nocheck written into it.
  disableTypeChecks: false,
  // Like the service's: the tests resolve @kb/contracts through ../packages, outside a sandbox copy.
  inPlace: true,
  concurrency: 1,
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: 'mutation/forge-app.incremental.json',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'mutation/reports/forge-app.json' },
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '../node_modules/.stryker-tmp/forge-app',
};
