/** Atlassian's API gateway: where Forge's `app.apiBaseUrl` points for every real site. */
export const ATLASSIAN_API_ORIGIN = 'https://api.atlassian.com';

/** A site's product API under a gateway: `/ex/confluence/<cloudId>` or `/ex/jira/<cloudId>`, nothing after. */
const PRODUCT_API = /^\/ex\/(?:confluence|jira)\/([A-Za-z0-9-]{1,64})\/?$/;

/**
 * Whether a site API is a Jira installation's: its user token is a Jira token, which Confluence does not
 * take, so what a Jira user may view of Confluence is asked by the service's own account instead.
 */
export function isJiraApi(apiBaseUrl: string): boolean {
  try {
    return /^\/ex\/jira\//.test(new URL(apiBaseUrl).pathname);
  } catch {
    return false;
  }
}

/** A site's API as a verified Forge token names it, once it is known to be a place for a user's token. */
export interface SiteApi {
  /** The site's Confluence API base (Jira's sits beside it): where the user's token is sent, and nowhere else. */
  confluenceBase: string;
}

/**
 * The site API that `apiBaseUrl` names, if a user's token may be sent there: a product path under one of
 * `origins` (Atlassian's gateway, and what the operator added for test servers), without credentials,
 * query or fragment. The token is only ever signed by Forge, but a user's token is a credential: this
 * service sends it nowhere else, whatever a token says. Rebuilt from its parts, so what is used is exactly
 * what was checked.
 */
export function siteApiOf(apiBaseUrl: string, origins: readonly string[]): SiteApi | undefined {
  let url: URL;
  try {
    url = new URL(apiBaseUrl);
  } catch {
    return undefined;
  }
  const cloudId = PRODUCT_API.exec(url.pathname)?.[1];
  if (!cloudId || url.username || url.password || url.search || url.hash) return undefined;
  if (!origins.includes(url.origin)) return undefined;
  return { confluenceBase: `${url.origin}/ex/confluence/${cloudId}` };
}
