import { makeResolver } from '@forge/resolver';
import { z } from 'zod';
import {
  ADMIN_RESOLVERS,
  RESOLVERS,
  type ResolverInput,
  type ResolverKey,
  type ResolverOutput,
  type ResolverResult,
} from '../resolver-contract';
import { cancelJob, getJob, indexStatus, listJobs, reindex } from './admin';
import { isProductAdmin } from './admin-check';
import { askQuestion, draftReply } from './chat';
import { badInput, notAdmin } from './failures';
import { trustedContext, type TrustedContext } from './trusted-context';

type Implementation<K extends ResolverKey> = (
  input: ResolverInput<K>,
  ctx: TrustedContext,
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
};

/** Runs one resolver call: validate the payload, check admin rights where needed, never throw. */
export async function runResolver<K extends ResolverKey>(
  key: K,
  payload: unknown,
  context: unknown,
): Promise<ResolverResult<ResolverOutput<K>>> {
  const input = RESOLVERS[key].input.safeParse(payload ?? {});
  if (!input.success) return { ok: false, error: badInput(z.prettifyError(input.error)) };
  const ctx = trustedContext(context);
  if (ADMIN_RESOLVERS.has(key) && !(await isProductAdmin(ctx.product))) {
    console.warn(`refused ${key}: account ${ctx.accountId ?? 'unknown'} is not a ${ctx.product} admin`);
    return { ok: false, error: notAdmin(ctx.product === 'jira' ? 'Jira' : 'Confluence') };
  }
  try {
    const result = await IMPLEMENTATIONS[key](input.data as ResolverInput<K>, ctx);
    if (!result.ok)
      console.warn(`${key} failed for account ${ctx.accountId ?? 'unknown'}: ${result.error.code}`);
    return result;
  } catch (error) {
    console.error(`${key} failed unexpectedly`, error instanceof Error ? error.name : typeof error);
    return {
      ok: false,
      error: { code: 'internal', message: 'Something went wrong in the app. Try again.', retryable: true },
    };
  }
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
