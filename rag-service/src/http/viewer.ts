import type { Request, Response } from 'express';
import { tokenDigest } from '../access/confluence-visibility.js';
import type { Viewer } from '../access/page-access.js';
import { callerOf } from './auth.js';

/** The user token Forge sends with a remote call (a JWT today): visible ASCII, of a sane length. */
const USER_TOKEN = /^[\x21-\x7e]{16,16384}$/;

/**
 * Who is asking, for the permission filter. A Forge call is checked against Confluence with the user's
 * own token (`x-forge-oauth-user`) at the site named by the verified Forge token (`app.apiBaseUrl`) — never a
 * URL the request itself names, and only if that site is one a user's token may go to (`PageAccess`). A
 * Forge call without both sees no Confluence content. API keys carry no user identity and get the
 * operator's policy for keys (API_KEY_CONFLUENCE_ACCESS); calls without credentials, the open mode's.
 */
export function viewerOf(req: Request, res: Response, apiKeySpaces: 'all' | readonly string[]): Viewer {
  const caller = callerOf(res);
  if (!caller) return { kind: 'unauthenticated' };
  if (caller.kind === 'api-key') return { kind: 'api-key', confluenceSpaces: apiKeySpaces };
  const token = req.get('x-forge-oauth-user');
  if (!token || !USER_TOKEN.test(token)) {
    return {
      kind: 'unidentified',
      reason:
        'the app did not pass your Confluence identity, so I could not check which pages you may view ' +
        '(an admin should check that the rag-service remote has the user token enabled)',
    };
  }
  if (!caller.apiBaseUrl) {
    return {
      kind: 'unidentified',
      reason:
        'the Forge call named no site to check your access with, so I could not check which pages you may view',
    };
  }
  // Without an account id, the token's digest stands for the user.
  const account = caller.accountId ?? `token:${tokenDigest(token)}`;
  return {
    kind: 'forge-user',
    installation: caller.installationId ?? '',
    apiBaseUrl: caller.apiBaseUrl,
    account,
    token,
  };
}
