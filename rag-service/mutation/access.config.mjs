// What a user may see: the page-permission check behind every Confluence answer (as the user, by site),
// its cache, and Jira's view of Confluence. Guarded by the access and page-access unit suites, and the
// permissions and Jira-permissions HTTP suites (the only HTTP suites that reach src/access's checks).
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'access',
  mutate: ['src/access/*.ts'],
  tests: ['access.test.ts', 'page-access.test.ts', 'permissions.test.ts', 'jira-permissions.test.ts'],
});
