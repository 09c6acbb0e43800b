// Who may see what: API keys, Forge tokens and their tenancy, conversation owners, the page-permission
// check. Guarded by the HTTP suites that call the service as users do.
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'access',
  mutate: ['src/http/auth.ts', 'src/http/forge-token.ts', 'src/history/owner.ts', 'src/access/*.ts'],
  tests: [
    'auth.test.ts',
    'forge-auth.test.ts',
    'cross-site.test.ts',
    'owner.test.ts',
    'access.test.ts',
    'permissions.test.ts',
  ],
});
