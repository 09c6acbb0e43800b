import {
  ChatRequest,
  ChatResponse,
  Conversation,
  ConversationList,
  CONVERSATIONS_PAGE_MAX,
  Feedback,
  FeedbackRequest,
  IndexStatus,
  Insights,
  INSIGHTS_DAYS_MAX,
  Job,
  JobAccepted,
  JobList,
  ReindexRequest,
} from '@kb/contracts';
import { z } from 'zod';
import { HISTORY_MAX_BYTES, jsonBytes } from './payload-limits';

/**
 * A conversation or message id as the service hands them out (UUIDs today). It becomes a path segment of
 * the service call, so only plain characters pass: `..` or `/` could otherwise reach another route.
 */
const StoredId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'an id as the service gives them (1 to 128 letters, digits, _ or -)');

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
  /** What this site's users asked over the last `days` (default 30), and what the docs could not answer. */
  insights: {
    input: z.strictObject({ days: z.number().int().min(1).max(INSIGHTS_DAYS_MAX).optional() }),
    output: Insights,
  },
  /** The caller's own conversations, newest first; the service knows the caller from Forge's token. */
  listConversations: {
    input: z.strictObject({
      limit: z.number().int().min(1).max(CONVERSATIONS_PAGE_MAX).optional(),
      /** Opaque, from the previous page's `nextCursor`. */
      cursor: z.string().min(1).max(1024).optional(),
    }),
    output: ConversationList,
  },
  getConversation: {
    input: z.strictObject({ id: StoredId }),
    // The newest messages that fit Forge's payload limit (see reply-size.ts); `omittedMessages` says how
    // many older ones were left out, so the panel can say so.
    output: Conversation.extend({ omittedMessages: z.number().int().nonnegative() }),
  },
  deleteConversation: { input: z.strictObject({ id: StoredId }), output: z.null() },
  /** The service's feedback request (rating, reason, comment ≤ 1,000 characters) on one answer. */
  rateAnswer: { input: FeedbackRequest.extend({ messageId: StoredId }), output: Feedback },
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
  'insights',
]);

/** Resolvers over the caller's stored conversations: quick reads and writes, with a short deadline. */
export const HISTORY_RESOLVERS: ReadonlySet<ResolverKey> = new Set([
  'listConversations',
  'getConversation',
  'deleteConversation',
  'rateAnswer',
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
  /** The service keeps no conversations (history off, or a version without them): panels hide the list. */
  'no_history',
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
