import { randomBytes } from 'node:crypto';

/** What a permission decision needs to know of a page or blog post. */
export interface Securable {
  id: string;
  spaceKey: string;
  parentId: string | null;
}

/**
 * Confluence's view rule, per user: space view permission AND the content's own read restriction AND
 * every ancestor's. Users hold bearer tokens, as the tokens Forge hands a remote in `x-forge-oauth-user`.
 */
export class ConfluencePermissions {
  private readonly tokens = new Map<string, string>();
  /** Spaces only some users may view; a space not listed here is open to every user. */
  private readonly spaceViewers = new Map<string, Set<string>>();
  /** Read restrictions by content id: only these users pass. */
  private readonly readers = new Map<string, Set<string>>();

  /** A user of the site; returns the bearer token that acts as them. */
  addUser(accountId: string): string {
    const token = `user-${accountId}-${randomBytes(8).toString('hex')}`;
    this.tokens.set(token, accountId);
    return token;
  }

  accountOf(token: string): string | undefined {
    return this.tokens.get(token);
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
