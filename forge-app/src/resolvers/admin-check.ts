import { route } from '@forge/api';
import { z } from 'zod';
import { requestConfluenceAsUser, requestJiraAsUser, type PlatformResponse } from './platform';
import { safeJson } from './failures';

const JiraGrants = z.looseObject({ globalPermissions: z.array(z.string()) });
const ConfluenceUser = z.looseObject({
  operations: z.array(z.looseObject({ operation: z.string(), targetType: z.string() })).optional(),
});

/**
 * Is the caller an administrator of the product the admin page runs in? Asked of the product itself, as
 * the user, on every admin call: a revoked admin loses access at once. Any doubt (an error, an odd
 * answer) counts as "no".
 */
export async function isProductAdmin(product: 'confluence' | 'jira'): Promise<boolean> {
  try {
    return product === 'jira' ? await isJiraAdmin() : await isConfluenceAdmin();
  } catch {
    return false;
  }
}

async function isJiraAdmin(): Promise<boolean> {
  const reply = await requestJiraAsUser(route`/rest/api/3/permissions/check`, {
    method: 'POST',
    headers: {
      // Stryker disable next-line StringLiteral: Atlassian answers JSON whatever Accept says (equivalent).
      accept: 'application/json',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ globalPermissions: ['ADMINISTER'] }),
  });
  const grants = JiraGrants.safeParse(await jsonOf(reply));
  return grants.success && grants.data.globalPermissions.includes('ADMINISTER');
}

async function isConfluenceAdmin(): Promise<boolean> {
  // Stryker disable next-line ObjectLiteral,StringLiteral: Atlassian answers JSON whatever Accept says.
  const options = { headers: { accept: 'application/json' } };
  const reply = await requestConfluenceAsUser(route`/wiki/rest/api/user/current?expand=operations`, options);
  const user = ConfluenceUser.safeParse(await jsonOf(reply));
  return (
    user.success &&
    (user.data.operations ?? []).some(
      (op) => op.operation === 'administer' && op.targetType === 'application',
    )
  );
}

async function jsonOf(reply: PlatformResponse): Promise<unknown> {
  return reply.ok ? safeJson(await reply.text()) : undefined;
}
