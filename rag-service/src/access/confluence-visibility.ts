import { createHash } from 'node:crypto';
import { confluenceV1 } from '../net/lazy-clients.js';
import type { Call } from '../models/chat-model.js';
import { withRetry, type RetryPolicy } from '../net/retry.js';
import { nextCursor } from '../net/next-cursor.js';

/** A user as Confluence knows them through Forge: the site's API base and the user's own token. */
export interface ConfluenceUser {
  /** Whose decisions these are (site and account): the cache key, never the token itself. */
  key: string;
  apiBaseUrl: string;
  token: string;
}

/** The user's access could not be established; the message is safe to show them. */
export class AccessUnverifiedError extends Error {
  override readonly name: string = 'AccessUnverifiedError';
}

/** Ids per CQL query: one or two searches cover a turn's candidate pages, and each stays within URL limits. */
export const IDS_PER_SEARCH = 50;

/** Inside a user's wait: a few short tries, and never more than a few seconds of the turn's budget. */
export const CHECK_RETRY: RetryPolicy = {
  attempts: 3,
  rateLimitAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 1000,
  attemptTimeoutMs: 4000,
};
export const CHECK_BUDGET_MS = 6000;

/**
 * Forge gives a remote called from Jira the site's Jira API base; the same site's Confluence sits beside it
 * at Atlassian's gateway, and the user's token (with `search:confluence`) is good for both.
 */
export function confluenceApiBase(apiBaseUrl: string): string {
  return apiBaseUrl.replace(/\/+$/, '').replace(/\/ex\/jira\//, '/ex/confluence/');
}

/** A digest that names a token in a cache key without keeping the token. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  // confluence.js takes no abort signal: a request past its time is left to finish, its answer ignored.
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason as Error);
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: a signal fires 'abort' at most once, so `once` only spares a listener nothing will call again
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    }),
  ]);
}

function reason(err: unknown): string {
  const status = (err as { details?: { status?: number } }).details?.status;
  if (status === 401 || status === 403) return `Confluence refused to check your access (HTTP ${status})`;
  if (status === 429) return 'Confluence is rate limiting access checks right now';
  return status
    ? `Confluence could not check your access (HTTP ${status})`
    : 'Confluence could not be reached to check your access';
}

/**
 * Asks Confluence, as the user, which of some pages they may view: CQL `id in (…)` on the v1 search, which
 * returns only what the user can see — space permission, the page's own restriction and every ancestor's,
 * exactly as Confluence applies them. Pages it does not return (restricted, deleted, other space) are hidden.
 */
export class ConfluenceVisibility {
  constructor(private readonly retry: RetryPolicy = CHECK_RETRY) {}

  async visible(user: ConfluenceUser, pageIds: readonly string[], call: Call): Promise<Set<string>> {
    // Content ids are numbers; anything else cannot be a page and must not reach the CQL text.
    const ids = [...new Set(pageIds)].filter((id) => /^\d{1,20}$/.test(id));
    const visible = new Set<string>();
    // Stryker disable next-line ConditionalExpression: with no ids the loop below asks nothing and returns this same empty set; the test spares making a client
    if (!ids.length) return visible;
    const { createV1Client } = await confluenceV1();
    const client = createV1Client({
      host: confluenceApiBase(user.apiBaseUrl),
      auth: { type: 'bearer', token: user.token },
      // Stryker disable next-line ObjectLiteral: confluence.js makes one attempt by default (createClient: `retry?.maxAttempts ?? 1`); said here so its retries never stack on withRetry's
      retry: { maxAttempts: 1 },
    });
    const deadline = Math.min(call.deadline, Date.now() + CHECK_BUDGET_MS);
    for (let i = 0; i < ids.length; i += IDS_PER_SEARCH) {
      const batch = ids.slice(i, i + IDS_PER_SEARCH);
      const cql = `id in (${batch.join(',')})`;
      let cursor: string | undefined;
      do {
        const page = await withRetry(
          (signal) =>
            untilAborted(
              client.search.searchByCQL({ cql, cursor, limit: batch.length, excerpt: 'none' }),
              signal,
            ),
          // Stryker disable next-line StringLiteral: `what` only names the call in withRetry's message, which reason() below replaces (it reads the status alone)
          { policy: this.retry, what: 'Confluence (access check)', signal: call.signal, deadline },
        ).catch((err: unknown) => {
          if (call.signal.aborted) throw err;
          throw new AccessUnverifiedError(reason(err));
        });
        for (const result of page.results) {
          const id = result.content?.id;
          if (id && batch.includes(id)) visible.add(id);
        }
        cursor = nextCursor(page._links.next);
      } while (cursor);
    }
    return visible;
  }
}
