// Who is calling: API keys, Forge tokens and their installation, and whose conversations a caller owns.
// Guarded by the HTTP suites that present keys and tokens as callers do, and the owner's unit suite.
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'identity',
  mutate: ['src/http/auth.ts', 'src/http/forge-token.ts', 'src/history/owner.ts'],
  tests: ['auth.test.ts', 'forge-auth.test.ts', 'owner.test.ts'],
});
