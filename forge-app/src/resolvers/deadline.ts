/**
 * Forge ends a UI-invoked function after 25 s, whatever it is doing, and the panel then shows an opaque
 * platform error. So each resolver call gets ONE deadline, started when the call starts, that every step
 * shares (the admin check, the Jira reads, the service call): a slow Jira leaves the service less time,
 * never more, and the call always ends with a failure the panel can explain.
 */

/** Chat and draft: all of Forge's 25 s but 2, kept for Forge's own overhead and the reply's trip. */
export const CHAT_BUDGET_MS = 23_000;
/** Admin calls are quick reads and writes (plus the admin check): a stuck one should not hold the page. */
export const ADMIN_BUDGET_MS = 10_000;
/** Listing, reading, deleting and rating conversations are single database reads and writes on the service. */
export const HISTORY_BUDGET_MS = 10_000;

export const TIMED_OUT: unique symbol = Symbol('timed out');
export type TimedOut = typeof TIMED_OUT;

export interface Deadline {
  /** The whole budget, for messages ("no answer within 23 seconds"). */
  readonly budgetMs: number;
  /** Aborted when the deadline passes, so calls that honour a signal stop their work too. */
  readonly signal: AbortSignal;
  /** Milliseconds left, never below 0. */
  remainingMs(): number;
  /** The work's result, or TIMED_OUT as soon as the deadline passes, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T | TimedOut>;
  /** Stops the timer once the call is over. */
  dispose(): void;
}

/**
 * Starts a deadline `budgetMs` from now. One timer for the whole call: a step never starts a clock of its
 * own, so the steps cannot add up past the budget.
 */
export function startDeadline(budgetMs: number): Deadline {
  const controller = new AbortController();
  const endsAt = Date.now() + budgetMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<TimedOut>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(TIMED_OUT);
    }, budgetMs);
  });
  return {
    budgetMs,
    signal: controller.signal,
    remainingMs: () => Math.max(0, endsAt - Date.now()),
    race: <T>(work: Promise<T>): Promise<T | TimedOut> => {
      if (controller.signal.aborted) {
        // The work may still settle later; nobody waits for it, so its rejection must not go unhandled.
        work.catch(() => undefined);
        return Promise.resolve(TIMED_OUT);
      }
      return Promise.race([work, expired]);
    },
    dispose: () => clearTimeout(timer),
  };
}
