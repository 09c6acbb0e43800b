import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * CommonJS mode, unlike the service: @forge/react, @forge/bridge and @forge/api are CommonJS with
 * `__esModule` default exports, which only a CommonJS interop reads as Forge's own bundler (webpack) does.
 */
export default {
  testEnvironment: 'node',
  moduleNameMapper: { '^@kb/contracts$': path.join(root, 'packages/contracts/src/index.ts') },
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          verbatimModuleSyntax: false,
          jsx: 'react-jsx',
          isolatedModules: true,
        },
      },
    ],
  },
  // Unexpected console.error/warn calls fail the test (see the file): no test can opt out by forgetting.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/console-guard.ts'],
  testTimeout: 30_000,
  // Shuffled on every run, like the service's (jest.preset.js): no test may lean on an earlier one.
  randomize: true,
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/test/**/*.test.tsx'],
};
