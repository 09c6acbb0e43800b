import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Jest in native ESM mode for a workspace package ("type": "module"): ts-jest only transpiles (`tsc`
 * type-checks), `.js` import suffixes map to the TypeScript sources, and @kb/contracts resolves to its source.
 */
export function jestConfig({ randomize = true } = {}) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: {
      '^@kb/contracts$': path.join(root, 'packages/contracts/src/index.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
    // LanceDB commits, child processes and a real browser are slower than pure functions; CI more so.
    testTimeout: 60_000,
    // Every run shuffles the tests within each file (the seed is printed; `--seed=N` replays an order), so a
    // test that leans on an earlier one fails here rather than passing by luck.
    randomize,
    testMatch: ['<rootDir>/test/**/*.test.ts'],
  };
}
