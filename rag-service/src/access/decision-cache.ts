/**
 * Whether a user may view a page, as Confluence last said, reused for a short time: a conversation asks
 * about the same pages again and again, and Confluence's answer rarely changes within a minute. Bounded:
 * past `maxEntries` the least recently used decisions go first. Failures are never cached.
 */
export class DecisionCache {
  private readonly entries = new Map<string, { visible: boolean; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(user: string, pageId: string): boolean | undefined {
    const key = `${user}\u0000${pageId}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is always the least recently used.
    this.entries.set(key, entry);
    return entry.visible;
  }

  /**
   * Drops every decision (a page's permissions changed). All of them, not the page's alone: a restriction
   * on a page is inherited by every page below it, and the index does not know a page's descendants.
   * Permission events are rare, and the cost is one question to Confluence per user and turn.
   */
  clear(): number {
    const dropped = this.entries.size;
    this.entries.clear();
    return dropped;
  }

  set(user: string, pageId: string, visible: boolean): void {
    // A bound of 0 needs no test here: the loop below drops the entry as soon as it is set.
    if (this.ttlMs <= 0) return;
    const key = `${user}\u0000${pageId}`;
    this.entries.delete(key);
    this.entries.set(key, { visible, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
