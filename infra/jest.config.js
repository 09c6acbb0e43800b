/** CommonJS, as Pulumi's Node.js runtime loads programs; the mocks need no cloud and no Pulumi CLI. */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: { module: 'commonjs', verbatimModuleSyntax: false, isolatedModules: true } },
    ],
  },
  testTimeout: 60_000,
  // Shuffled on every run, like the service's (jest.preset.js): no test may lean on an earlier one.
  randomize: true,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
};
