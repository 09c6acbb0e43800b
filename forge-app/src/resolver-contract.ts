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
import { HISTORY_MAX_BYTES, jsonBytes } from './payload-limits';

/**
 * The resolver functions the UI Kit frontends call with `invoke(key, payload)`, with the shapes they take
 * and return. Frontends and resolvers both import this map, so a renamed field breaks the build, not a user.
 * Trusted context (account id, page, space, issue) comes from the resolver's own context, never the payload.
 */
export const RESOLVERS = {
  // The service's request shape, but open at the top: context the frontend claims is dropped, not refused
  // (the resolver adds Forge's own). Nested shapes (history turns, filters) stay strict.
  chat: {
    input: z.object(ChatRequest.omit({ context: true }).shape).check((ctx) => {
      // The panels trim history to this (use-chat.ts); a payload over it came from elsewhere and is refused
      // with the sizes, rather than failing later as an opaque platform error.
      const bytes = ctx.value.history ? jsonBytes(ctx.value.history) : 0;
      if (bytes > HISTORY_MAX_BYTES) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value.history,
          path: ['history'],
          message: `history is too large: ${kb(bytes)} KB, at most ${kb(HISTORY_MAX_BYTES)} KB (send fewer or shorter turns)`,
        });
      }
    }),
    output: ChatResponse,
  },
  draftReply: {
    input: z
      .object({
        conversationId: z.string().min(1).max(128).optional(),
        /** Optional steer from the agent, e.g. "keep it short" or "mention the workaround". */
        instructions: z.string().trim().max(500).optional(),
      })
      .strict(),
    output: ChatResponse,
  },
  indexStatus: { input: z.object({}).strict(), output: IndexStatus },
  reindex: { input: ReindexRequest, output: JobAccepted },
  listJobs: { input: z.object({}).strict(), output: JobList },
  getJob: { input: z.object({ jobId: z.string().min(1).max(128) }).strict(), output: Job },
  cancelJob: { input: z.object({ jobId: z.string().min(1).max(128) }).strict(), output: Job },
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

/**
 * Why a resolver call failed, in words a reader can act on. `retryable` tells the panel whether a
 * "Try again" button makes sense (a timeout does; "only admins may reindex" does not).
 */
export const ResolverFailureCode = z.enum([
  'invalid_request',
  'not_admin',
  'unauthorized',
  'not_found',
  'conflict',
  'rate_limited',
  'timeout',
  'unavailable',
  'internal',
]);
export type ResolverFailureCode = z.infer<typeof ResolverFailureCode>;

export interface ResolverFailure {
  code: ResolverFailureCode;
  message: string;
  retryable: boolean;
  /** For `conflict` on reindex: the job already running, so the page can follow it. */
  jobId?: string;
}

/**
 * What every resolver returns. Forge turns a thrown error into an opaque message in the frontend, so
 * failures travel as values the panel can show.
 */
export type ResolverResult<T> = { ok: true; data: T } | { ok: false; error: ResolverFailure };

/** Validates what a frontend sent to a resolver; throws a ZodError naming each bad field. */
export function parseResolverInput<K extends ResolverKey>(
  key: K,
  payload: unknown,
): z.output<(typeof RESOLVERS)[K]['input']> {
  return RESOLVERS[key].input.parse(payload ?? {}) as z.output<(typeof RESOLVERS)[K]['input']>;
}

function kb(bytes: number): string {
  return String(Math.ceil(bytes / 1000));
}
