import type { Logger } from 'pino';
import type { Call } from '../models/chat-model.js';
import type { SearchFilter } from '../store/vector-store.js';
import {
  AccessUnverifiedError,
  type ConfluenceUser,
  type ConfluenceVisibility,
} from './confluence-visibility.js';
import { CannotCheckForOthersError, type ContentPermissionCheck } from './content-permission-check.js';
import type { DecisionCache } from './decision-cache.js';
import { isJiraApi, siteApiOf } from './site-api.js';

/** Who is asking, as far as deciding what of Confluence they may see goes. */
export type Viewer =
  /** An API key: no user identity, so the operator's policy for keys (API_KEY_CONFLUENCE_ACCESS). */
  | { kind: 'api-key'; confluenceSpaces: 'all' | readonly string[] }
  /** A call without credentials (the open mode): see `AccessPolicy.unauthenticatedSpaces`. */
  | { kind: 'unauthenticated' }
  /**
   * A Forge call with the user's token, for the site API the verified Forge token names (`apiBaseUrl`),
   * not yet checked: Confluence decides, page by page, if that is a place the token may go.
   */
  | { kind: 'forge-user'; installation: string; apiBaseUrl: string; account: string; token: string }
  /** A Forge call whose user cannot be checked: no Confluence content at all. */
  | { kind: 'unidentified'; reason: string };

/** The operator's side of access: set once, from the configuration. */
export interface AccessPolicy {
  /** What calls without credentials see of Confluence: every space, or only these (none when empty). */
  unauthenticatedSpaces: 'all' | readonly string[];
  /** Origins whose site APIs may receive a user's token (Atlassian's gateway, and test servers). */
  userTokenOrigins: readonly string[];
  /**
   * Checks made by the service's own Confluence account for users whose token Confluence will not take
   * (Jira panels); absent when no Confluence account is configured, and then such users see no pages.
   */
  checkForOthers?: ContentPermissionCheck;
}

export interface PageDecisions {
  /** Of the pages asked about, those the viewer may use. */
  visible: Set<string>;
  /** Set when some pages could not be checked: they are not in `visible`, and this says why. */
  unverified?: string;
  /** The reason will not pass by itself (an admin must act): the user is not told to try again. */
  lasting?: boolean;
}

/** Per-page decisions for Confluence candidates, asked in rank order, a batch at a time. */
export interface PageCheck {
  decide(pageIds: readonly string[], call: Call): Promise<PageDecisions>;
}

/** What retrieval must respect for one request. */
export interface AccessPlan {
  /** Narrowing applied inside the store query. */
  filter?: SearchFilter;
  /** Present when Confluence candidates need a per-user decision before they may be used. */
  check?: PageCheck;
  /** Said with the answer, whatever is found: content was left out for a reason the user should know. */
  notice?: string;
}

/**
 * Turns a viewer into what retrieval must respect. For a Forge user every Confluence candidate is checked
 * with Confluence itself — as that user from Confluence, by the service's account on their behalf from Jira —
 * and the decisions are cached for a short while; whatever cannot be checked is left out (fail closed).
 */
export class PageAccess {
  constructor(
    private readonly visibility: ConfluenceVisibility,
    private readonly cache: DecisionCache,
    private readonly policy: AccessPolicy,
    private readonly log?: Logger,
  ) {}

  /** What an admin must fix for access checks to work for everyone. */
  notices(): string[] {
    const notice = this.policy.checkForOthers?.notice;
    return notice ? [`Jira users see no Confluence pages: ${notice}.`] : [];
  }

  /** Confluence's permissions on a page changed: cached decisions about it, or below it, no longer hold. */
  forgetDecisions(): void {
    this.cache.clear();
  }

  plan(viewer: Viewer): AccessPlan {
    switch (viewer.kind) {
      case 'api-key':
        return spacesPlan(viewer.confluenceSpaces);
      case 'unauthenticated':
        return spacesPlan(this.policy.unauthenticatedSpaces);
      case 'unidentified':
        return {
          filter: { confluenceSpaces: [] },
          notice: `Confluence pages were left out of this answer: ${viewer.reason}.`,
        };
      case 'forge-user':
        return this.forgeUserPlan(viewer);
    }
  }

  private forgeUserPlan(viewer: Extract<Viewer, { kind: 'forge-user' }>): AccessPlan {
    const site = siteApiOf(viewer.apiBaseUrl, this.policy.userTokenOrigins);
    if (!site) {
      this.log?.warn(
        { apiBaseUrl: viewer.apiBaseUrl.slice(0, 200) },
        'a Forge token named a site API outside the allowed origins; the user token was not sent there',
      );
      return this.plan({
        kind: 'unidentified',
        reason:
          'the Forge call named a site this service does not check access with, so I could not check which pages you may view',
      });
    }
    // Decisions are the user's in this installation, on this site: the same account elsewhere is decided anew.
    const key = `${viewer.installation}|${site.confluenceBase}|${viewer.account}`;
    if (isJiraApi(viewer.apiBaseUrl)) return this.jiraUserPlan(viewer, key);
    const user: ConfluenceUser = { key, apiBaseUrl: site.confluenceBase, token: viewer.token };
    return {
      check: {
        decide: (ids, call) =>
          this.decide(key, ids, (unknown) => this.visibility.visible(user, unknown, call)),
      },
    };
  }

  /** A Jira user: Confluence refuses their token, so the service's account asks about them by account id. */
  private jiraUserPlan(viewer: Extract<Viewer, { kind: 'forge-user' }>, key: string): AccessPlan {
    const others = this.policy.checkForOthers;
    if (!others)
      return this.plan({
        kind: 'unidentified',
        reason:
          'this service has no Confluence account to check what Jira users may view (CONFLUENCE_URL, CONFLUENCE_USERNAME, CONFLUENCE_API_TOKEN)',
      });
    if (viewer.account.startsWith('token:'))
      return this.plan({
        kind: 'unidentified',
        reason: 'the Jira call named no account, so I could not check which pages you may view',
      });
    return {
      check: {
        decide: (ids, call) =>
          this.decide(key, ids, (unknown) => others.visible(viewer.account, unknown, call)),
      },
    };
  }

  private async decide(
    key: string,
    pageIds: readonly string[],
    ask: (unknown: readonly string[]) => Promise<Set<string>>,
  ): Promise<PageDecisions> {
    const visible = new Set<string>();
    const unknown: string[] = [];
    for (const id of pageIds) {
      const known = this.cache.get(key, id);
      if (known === undefined) unknown.push(id);
      else if (known) visible.add(id);
    }
    if (!unknown.length) return { visible };
    try {
      const seen = await ask(unknown);
      for (const id of unknown) {
        this.cache.set(key, id, seen.has(id));
        if (seen.has(id)) visible.add(id);
      }
      return { visible };
    } catch (err) {
      if (!(err instanceof AccessUnverifiedError)) throw err;
      this.log?.warn(
        { pages: unknown.length, reason: err.message },
        'page access check failed; pages left out',
      );
      return {
        visible,
        unverified: err.message,
        ...(err instanceof CannotCheckForOthersError ? { lasting: true } : {}),
      };
    }
  }
}

function spacesPlan(spaces: 'all' | readonly string[]): AccessPlan {
  return spaces === 'all' ? {} : { filter: { confluenceSpaces: [...spaces] } };
}
