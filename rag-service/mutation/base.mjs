import { jestConfig } from '../../jest.preset.js';

/**
 * What both of the service's mutation runs share (docs/testing.md). Each run names the files it breaks and
 * the tests that must notice: the rules of access and identity are guarded by the HTTP suites, the
 * retriever's and the stores' rules by fast unit suites, so no mutant waits on tests that cannot see it.
 * @param {{ name: string, mutate: string[], tests: string[] }} run
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function mutationRun({ name, mutate, tests }) {
  return {
    mutate,
    testRunner: 'jest',
    // Named, not globbed: under pnpm the core cannot see its sibling plugins.
    plugins: ['@stryker-mutator/jest-runner', '@stryker-mutator/typescript-checker'],
    jest: {
      config: {
        ...jestConfig({ randomize: false }),
        testMatch: tests.map((file) => `<rootDir>/test/**/${file}`),
      },
      enableFindRelatedTests: true,
    },
    // The service's tests run Jest in native ESM mode (package.json "test").
    testRunnerNodeArgs: ['--experimental-vm-modules', '--expose-gc', '--no-warnings'],
    checkers: ['typescript'],
    tsconfigFile: 'tsconfig.json',
    coverageAnalysis: 'perTest',
    // A static mutant (a module-level constant) reloads every test file. The constants that guard users
    // have tests named for them (docs/testing.md), so the runs skip static mutants to stay within CI's time.
    ignoreStatic: true,
    // ts-jest only transpiles (isolatedModules), so no file needs a @ts-nocheck written into it.
    disableTypeChecks: false,
    // The tests read ../shared and ../jest.preset.js, which a sandbox copy of this package cannot see.
    inPlace: true,
    concurrency: 1,
    timeoutMS: 10_000,
    incremental: true,
    incrementalFile: `mutation/${name}.incremental.json`,
    reporters: ['clear-text', 'progress', 'json'],
    jsonReporter: { fileName: `mutation/reports/${name}.json` },
    thresholds: { high: 90, low: 85, break: 85 },
    tempDirName: `../node_modules/.stryker-tmp/rag-service-${name}`,
  };
}
