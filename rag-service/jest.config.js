import { jestConfig } from '../jest.preset.js';

// Not shuffled by default yet: docs/testing.md lists the suites still being freed of their order. Run
// `pnpm test --randomize` (seed printed, `--seed=N` replays) to check.
export default jestConfig({ randomize: false });
