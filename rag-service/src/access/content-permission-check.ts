import type { createV1Client } from 'confluence.js/v1';
import { confluenceV1 } from '../net/lazy-clients.js';
import type { Call } from '../models/chat-model.js';
import { withRetry, type RetryPolicy } from '../net/retry.js';
import {
  AccessUnverifiedError,
  CHECK_BUDGET_MS,
  CHECK_RETRY,
  untilAborted,
} from './confluence-visibility.js';

/** The service's own Confluence account (the one that indexes): the site root, e-mail and API token. */
export interface ServiceAccount {
  url: string;
  username: string;
  apiToken: string;
}

/** Checks in flight at once for one turn: enough to cover a turn's candidates in a round or two. */
export const CHECKS_IN_FLIGHT = 8;

/**
 * The service's account is not allowed to ask about other users: the content permission check needs the
 * 'Confluence Administrator' global permission. Nothing can be checked until an admin changes that.
 */
export class CannotCheckForOthersError extends AccessUnverifiedError {
  override readonly name = 'CannotCheckForOthersError';
}

/** What the admin page and the answer say while the service's account cannot check for others. */
export const NOT_ADMIN_NOTICE =
  "the service's Confluence account (CONFLUENCE_USERNAME) is not a Confluence administrator, so it cannot " +
  'check which pages Jira users may view; until an admin grants it that permission, answers in Jira leave ' +
  'every Confluence page out';

function failureReason(err: unknown): string {
  const status = (err as { details?: { status?: number } }).details?.status;
  if (status === 401)
    return "Confluence refused the service's account while checking your access (HTTP 401: check CONFLUENCE_API_TOKEN)";
  if (status === 429) return 'Confluence is rate limiting access checks right now';
  return status
    ? `Confluence could not check your access (HTTP ${status})`
    : 'Confluence could not be reached to check your access';
}

/**
 * Asks Confluence, as the service's account, whether a user may read each of some pages, with the documented
 * content permission check (`POST /wiki/rest/api/content/{id}/permission/check`, subject = the user's account
 * id, operation `read`): site, space and content restrictions (ancestors' included), as Confluence applies
 * them. This is for calls whose user token Confluence will not take — a Jira panel's. A page Confluence no
 * longer has (404) is not visible; any other failure fails the whole turn's check closed.
 */
export class ContentPermissionCheck {
  private readonly client: Promise<ReturnType<typeof createV1Client>>;
  private refused = false;

  constructor(
    account: ServiceAccount,
    private readonly retry: RetryPolicy = CHECK_RETRY,
    private readonly inFlight = CHECKS_IN_FLIGHT,
  ) {
    this.client = confluenceV1().then(({ createV1Client }) =>
      createV1Client({
        host: account.url,
        auth: { type: 'basic', email: account.username, apiToken: account.apiToken },
        // Stryker disable next-line ObjectLiteral: confluence.js makes one attempt by default (createClient: `retry?.maxAttempts ?? 1`); said here so its retries never stack on withRetry's
        retry: { maxAttempts: 1 },
      }),
    );
    // A failed load is each check's error (they wait on `client`), never an unhandled rejection.
    this.client.catch(() => undefined);
  }

  /** Set while the last check was refused because the account is not a Confluence administrator. */
  get notice(): string | undefined {
    return this.refused ? NOT_ADMIN_NOTICE : undefined;
  }

  async visible(accountId: string, pageIds: readonly string[], call: Call): Promise<Set<string>> {
    // Content ids are numbers; anything else cannot be a page and must not reach the URL path.
    const ids = [...new Set(pageIds)].filter((id) => /^\d{1,20}$/.test(id));
    const visible = new Set<string>();
    const deadline = Math.min(call.deadline, Date.now() + CHECK_BUDGET_MS);
    // One failure ends the turn's checks: the remaining workers see it and take no more pages.
    const stop = new AbortController();
    const signal = AbortSignal.any([call.signal, stop.signal]);
    let failure: Error | undefined;
    let next = 0;
    const worker = async () => {
      while (next < ids.length && !failure) {
        const id = ids[next++]!;
        try {
          if (await this.mayRead(accountId, id, signal, deadline)) visible.add(id);
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error(String(err));
          stop.abort(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.inFlight, ids.length) }, worker));
    call.signal.throwIfAborted();
    if (failure) throw failure;
    if (ids.length) this.refused = false;
    return visible;
  }

  private async mayRead(accountId: string, id: string, signal: AbortSignal, deadline: number) {
    try {
      const answer = await withRetry(
        (attempt) =>
          untilAborted(
            this.client.then((client) =>
              client.contentPermissions.checkContentPermission({
                id,
                subject: { type: 'user', identifier: accountId },
                operation: 'read',
              }),
            ),
            attempt,
          ),
        // Stryker disable next-line StringLiteral: `what` only names the call in withRetry's message, which failureReason() below replaces (it reads the status alone)
        { policy: this.retry, what: 'Confluence (permission check)', signal, deadline },
      );
      return answer.hasPermission;
    } catch (err) {
      // Stryker disable next-line ConditionalExpression: equivalent — an aborted check's error is dropped either way: visible() throws the turn's own reason (throwIfAborted) or the failure that stopped the others (`failure ??=` keeps the first)
      if (signal.aborted) throw err;
      const status = (err as { details?: { status?: number } }).details?.status;
      if (status === 404) return false;
      if (status === 403) {
        this.refused = true;
        throw new CannotCheckForOthersError(NOT_ADMIN_NOTICE);
      }
      throw new AccessUnverifiedError(failureReason(err));
    }
  }
}
