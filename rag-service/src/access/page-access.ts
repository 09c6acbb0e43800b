import type { Logger } from 'pino';
import type { Call } from '../models/chat-model.js';
import type { SearchFilter } from '../store/vector-store.js';
import {
  AccessUnverifiedError,
  type ConfluenceUser,
  type ConfluenceVisibility,
} from './confluence-visibility.js';
import type { DecisionCache } from './decision-cache.js';

/** Who is asking, as far as deciding what of Confluence they may see goes. */
export type Viewer =
  /** No user identity (an API key, or the loopback mode without credentials): the operator's policy. */
  | { kind: 'operator'; confluenceSpaces: 'all' | readonly string[] }
  /** A Forge call with the user's token: Confluence decides, page by page. */
  | { kind: 'confluence-user'; user: ConfluenceUser }
  /** A Forge call whose user cannot be checked: no Confluence content at all. */
  | { kind: 'unidentified'; reason: string };

export interface PageDecisions {
  /** Of the pages asked about, those the viewer may use. */
  visible: Set<string>;
  /** Set when some pages could not be checked: they are not in `visible`, and this says why. */
  unverified?: string;
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
 * with Confluence itself, as that user, and the decisions are cached for a short while; whatever cannot be
 * checked is left out (fail closed).
 */
export class PageAccess {
  constructor(
    private readonly visibility: ConfluenceVisibility,
    private readonly cache: DecisionCache,
    private readonly log?: Logger,
  ) {}

  plan(viewer: Viewer): AccessPlan {
    switch (viewer.kind) {
      case 'operator':
        return viewer.confluenceSpaces === 'all'
          ? {}
          : { filter: { confluenceSpaces: [...viewer.confluenceSpaces] } };
      case 'unidentified':
        return {
          filter: { confluenceSpaces: [] },
          notice: `Confluence pages were left out of this answer: ${viewer.reason}.`,
        };
      case 'confluence-user':
        return { check: { decide: (ids, call) => this.decide(viewer.user, ids, call) } };
    }
  }

  private async decide(user: ConfluenceUser, pageIds: readonly string[], call: Call): Promise<PageDecisions> {
    const visible = new Set<string>();
    const unknown: string[] = [];
    for (const id of pageIds) {
      const known = this.cache.get(user.key, id);
      if (known === undefined) unknown.push(id);
      else if (known) visible.add(id);
    }
    if (!unknown.length) return { visible };
    try {
      const seen = await this.visibility.visible(user, unknown, call);
      for (const id of unknown) {
        this.cache.set(user.key, id, seen.has(id));
        if (seen.has(id)) visible.add(id);
      }
      return { visible };
    } catch (err) {
      if (!(err instanceof AccessUnverifiedError)) throw err;
      this.log?.warn(
        { pages: unknown.length, reason: err.message },
        'page access check failed; pages left out',
      );
      return { visible, unverified: err.message };
    }
  }
}
