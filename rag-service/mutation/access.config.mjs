// What a user may see: the page-permission check behind every Confluence answer (as the user, by site),
// its cache, and Jira's view of Confluence. Guarded by the access unit suite and the permissions HTTP suite.
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'access',
  mutate: ['src/access/*.ts'],
  tests: ['access.test.ts', 'permissions.test.ts'],
});
