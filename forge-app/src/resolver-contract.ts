import {
  ChatRequest,
  ChatResponse,
  IndexStatus,
  Job,
  JobAccepted,
  JobList,
  ReindexRequest,
} from '@kb/contracts';
import { z } from 'zod';

/**
 * The resolver functions the UI Kit frontends call with `invoke(key, payload)`, with the shapes they take
 * and return. Frontends and resolvers both import this map, so a renamed field breaks the build, not a user.
 * Trusted context (account id, page, space, issue) comes from the resolver's own context, never the payload.
 */
export const RESOLVERS = {
  chat: { input: ChatRequest.omit({ context: true }), output: ChatResponse },
  indexStatus: { input: z.object({}).strict(), output: IndexStatus },
  reindex: { input: ReindexRequest, output: JobAccepted },
  listJobs: { input: z.object({}).strict(), output: JobList },
  getJob: { input: z.object({ jobId: z.string().min(1) }).strict(), output: Job },
  cancelJob: { input: z.object({ jobId: z.string().min(1) }).strict(), output: Job },
} as const;

export type ResolverKey = keyof typeof RESOLVERS;
export type ResolverInput<K extends ResolverKey> = z.input<(typeof RESOLVERS)[K]['input']>;
export type ResolverOutput<K extends ResolverKey> = z.output<(typeof RESOLVERS)[K]['output']>;

/** Resolvers that only a product admin may call. */
export const ADMIN_RESOLVERS: ReadonlySet<ResolverKey> = new Set([
  'indexStatus',
  'reindex',
  'listJobs',
  'getJob',
  'cancelJob',
]);

/** Validates what a frontend sent to a resolver; throws a ZodError naming each bad field. */
export function parseResolverInput<K extends ResolverKey>(
  key: K,
  payload: unknown,
): z.output<(typeof RESOLVERS)[K]['input']> {
  return RESOLVERS[key].input.parse(payload ?? {}) as z.output<(typeof RESOLVERS)[K]['input']>;
}
