// Who is calling: API keys, Forge tokens and their installation, and whose conversations a caller owns.
// Guarded by unit suites that present keys and tokens to the middleware on a bare Express app and to the
// token verifier directly, and the owner's unit suite: each mutant costs seconds, not a whole service
// started per test file (the HTTP suites took over 1.5 h for the same mutants).
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'identity',
  mutate: ['src/http/auth.ts', 'src/http/forge-token.ts', 'src/history/owner.ts'],
  tests: ['authorizer.test.ts', 'forge-token.test.ts', 'owner.test.ts'],
});
