import { makeResolver } from '@forge/resolver';
import { z } from 'zod';
import {
  ADMIN_RESOLVERS,
  HISTORY_RESOLVERS,
  RESOLVERS,
  type ResolverInput,
  type ResolverKey,
  type ResolverOutput,
  type ResolverFailure,
  type ResolverResult,
} from '../resolver-contract';
import { cancelJob, getJob, indexStatus, insights, listJobs, reindex } from './admin';
import { isProductAdmin } from './admin-check';
import { askQuestion, draftReply } from './chat';
import { deleteConversation, getConversation, listConversations, rateAnswer } from './conversations';
import {
  ADMIN_BUDGET_MS,
  CHAT_BUDGET_MS,
  HISTORY_BUDGET_MS,
  startDeadline,
  TIMED_OUT,
  type Deadline,
} from './deadline';
import { badInput, notAdmin, timedOut } from './failures';
import { trustedContext, type TrustedContext } from './trusted-context';

type Implementation<K extends ResolverKey> = (
  input: ResolverInput<K>,
  ctx: TrustedContext,
  deadline: Deadline,
) => Promise<ResolverResult<ResolverOutput<K>>>;

/** Every resolver key of the contract, with the function that serves it: a missing one fails the build. */
const IMPLEMENTATIONS: { [K in ResolverKey]: Implementation<K> } = {
  chat: askQuestion,
  draftReply,
  indexStatus,
  reindex,
  listJobs,
  getJob,
  cancelJob,
  insights,
  listConversations,
  getConversation,
  deleteConversation,
  rateAnswer,
};

/** The time a call may take in all, from its start: see deadline.ts. */
function budgetOf(key: ResolverKey): number {
  if (ADMIN_RESOLVERS.has(key)) return ADMIN_BUDGET_MS;
  return HISTORY_RESOLVERS.has(key) ? HISTORY_BUDGET_MS : CHAT_BUDGET_MS;
}

/** Runs one resolver call from a panel: Forge's resolver context says who is calling, and where. */
export function runResolver<K extends ResolverKey>(
  key: K,
  payload: unknown,
  context: unknown,
): Promise<ResolverResult<ResolverOutput<K>>> {
  return runTrusted(key, payload, trustedContext(context));
}

/**
 * Runs one resolver call for a caller already established (a panel's context, or a Rovo action's): validate
 * the payload, check admin rights where needed, serve it, all within ONE deadline started here; never throw.
 */
export async function runTrusted<K extends ResolverKey>(
  key: K,
  payload: unknown,
  ctx: TrustedContext,
): Promise<ResolverResult<ResolverOutput<K>>> {
  const deadline = startDeadline(budgetOf(key));
  try {
    const input = RESOLVERS[key].input.safeParse(payload ?? {});
    if (!input.success) return { ok: false, error: badInput(z.prettifyError(input.error)) };
    if (ADMIN_RESOLVERS.has(key)) {
      const admin = await deadline.race(isProductAdmin(ctx.product));
      // Without this line the spent deadline would stop the call one step later, still before any request.
      // Stryker disable next-line ConditionalExpression: equivalent, as said above.
      if (admin === TIMED_OUT) return timeoutOf(key, ctx, deadline);
      if (!admin) {
        console.warn(`refused ${key}: account ${ctx.accountId ?? 'unknown'} is not a ${ctx.product} admin`);
        return { ok: false, error: notAdmin(ctx.product === 'jira' ? 'Jira' : 'Confluence') };
      }
    }
    // Raced here too: whatever an implementation awaits, the call ends by the deadline.
    const result = await deadline.race(IMPLEMENTATIONS[key](input.data as ResolverInput<K>, ctx, deadline));
    if (result === TIMED_OUT) return timeoutOf(key, ctx, deadline);
    if (!result.ok)
      console.warn(`${key} failed for account ${ctx.accountId ?? 'unknown'}: ${result.error.code}`);
    return result;
  } catch (error) {
    console.error(`${key} failed unexpectedly`, error instanceof Error ? error.name : typeof error);
    return {
      ok: false,
      error: { code: 'internal', message: 'Something went wrong in the app. Try again.', retryable: true },
    };
  } finally {
    deadline.dispose();
  }
}

function timeoutOf(
  key: ResolverKey,
  ctx: TrustedContext,
  deadline: Deadline,
): { ok: false; error: ResolverFailure } {
  console.warn(`${key} ran out of time for account ${ctx.accountId ?? 'unknown'}`);
  return { ok: false, error: timedOut(deadline) };
}

/** The Forge function `resolver` of manifest.yml: one definition per key of the resolver contract. */
export function createResolverHandler(): ReturnType<typeof makeResolver> {
  const definitions: Record<string, (request: { payload: unknown; context: unknown }) => Promise<unknown>> =
    {};
  for (const key of Object.keys(RESOLVERS) as ResolverKey[]) {
    definitions[key] = ({ payload, context }) => runResolver(key, payload, context);
  }
  return makeResolver(definitions);
}
