import { randomBytes } from 'node:crypto';

/** What a permission decision needs to know of a page or blog post. */
export interface Securable {
  id: string;
  spaceKey: string;
  parentId: string | null;
}

/** Which product's installation a user's token came from: Confluence opens only its own installation's. */
export type TokenProduct = 'confluence' | 'jira';

/**
 * Confluence's view rule, per user: space view permission AND the content's own read restriction AND
 * every ancestor's. Users hold bearer tokens, as the tokens Forge hands a remote in `x-forge-oauth-user`;
 * a token from the Jira installation is a Jira token, which Confluence refuses.
 */
export class ConfluencePermissions {
  private readonly tokens = new Map<string, { accountId: string; product: TokenProduct }>();
  /** Spaces only some users may view; a space not listed here is open to every user. */
  private readonly spaceViewers = new Map<string, Set<string>>();
  /** Read restrictions by content id: only these users pass. */
  private readonly readers = new Map<string, Set<string>>();

  /** A user of the site; returns the bearer token that acts as them, as `product`'s installation issues it. */
  addUser(accountId: string, product: TokenProduct = 'confluence'): string {
    const token = `${product}-user-${accountId}-${randomBytes(8).toString('hex')}`;
    this.tokens.set(token, { accountId, product });
    return token;
  }

  /** Whose token this is, if `product`'s API accepts it. */
  accountOf(token: string, product: TokenProduct = 'confluence'): string | undefined {
    const holder = this.tokens.get(token);
    return holder?.product === product ? holder.accountId : undefined;
  }

  /** Whether this account is a user of the site (the permission check answers false for strangers). */
  knows(accountId: string): boolean {
    return [...this.tokens.values()].some((holder) => holder.accountId === accountId);
  }

  restrictSpace(spaceKey: string, viewers: string[]): void {
    this.spaceViewers.set(spaceKey, new Set(viewers));
  }

  restrictRead(contentId: string, readers: string[]): void {
    this.readers.set(contentId, new Set(readers));
  }

  canView(accountId: string, content: Securable, parentOf: (id: string) => Securable | undefined): boolean {
    const space = this.spaceViewers.get(content.spaceKey);
    if (space && !space.has(accountId)) return false;
    for (let c: Securable | undefined = content; c; c = c.parentId ? parentOf(c.parentId) : undefined) {
      const readers = this.readers.get(c.id);
      if (readers && !readers.has(accountId)) return false;
    }
    return true;
  }
}
