// Mutation testing of the code that protects users (docs/testing.md): each mutant is a small breakage of
// one of these files, and a test must fail for it. `pnpm mutation` at the root runs this and forge-app's.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'src/http/auth.ts',
    'src/http/forge-token.ts',
    'src/history/owner.ts',
    'src/access/*.ts',
    'src/retrieval/*.ts',
    'src/store/qdrant-filter.ts',
  ],
  testRunner: 'jest',
  // Named, not globbed: under pnpm the core cannot see its sibling plugins.
  plugins: ['@stryker-mutator/jest-runner', '@stryker-mutator/typescript-checker'],
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  // The service's tests run Jest in native ESM mode (package.json "test").
  testRunnerNodeArgs: ['--experimental-vm-modules', '--expose-gc', '--no-warnings'],
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  // A static mutant (a module-level constant) reloads every test file: an hour for this set. The constants
  // that guard users have tests named for them (docs/testing.md); the run skips static mutants.
  ignoreStatic: true,
  // The tests read ../shared and ../jest.preset.js, which a sandbox copy of this package cannot see.
  inPlace: true,
  concurrency: 1,
  timeoutMS: 30_000,
  incremental: true,
  incrementalFile: 'mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'mutation/report.json' },
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '../node_modules/.stryker-tmp/rag-service',
};
