import { jestConfig } from '../jest.preset.js';

// Shuffled like every package's suite: each run prints its seed (`Seed: 1234`), `--seed=1234` replays it.
export default jestConfig();
