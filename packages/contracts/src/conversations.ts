import { z } from 'zod';
import { ChatProduct, ChatRole, Source } from './chat';

/** How many conversations one page of the list holds at most, and by default. */
export const CONVERSATIONS_PAGE_MAX = 100;
export const CONVERSATIONS_PAGE_DEFAULT = 20;
/** The longest comment a reader may leave with a rating. */
export const FEEDBACK_COMMENT_MAX_CHARS = 1000;

export const ConversationSummary = z
  .object({
    id: z.string(),
    title: z.string().meta({ description: 'the first question, shortened' }),
    product: ChatProduct.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    messageCount: z.number().int().nonnegative(),
  })
  .meta({ id: 'ConversationSummary' });
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const ConversationList = z
  .object({
    conversations: z.array(ConversationSummary),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'pass as `?cursor=` for the next page; null at the end' }),
  })
  .meta({ id: 'ConversationList' });
export type ConversationList = z.infer<typeof ConversationList>;

export const FeedbackRating = z.enum(['up', 'down']);
export type FeedbackRating = z.infer<typeof FeedbackRating>;

export const FeedbackReason = z.enum(['wrong', 'outdated', 'incomplete', 'not_relevant', 'other']);
export type FeedbackReason = z.infer<typeof FeedbackReason>;

export const FeedbackRequest = z
  .strictObject({
    rating: FeedbackRating,
    reason: FeedbackReason.optional(),
    comment: z
      .string()
      .max(FEEDBACK_COMMENT_MAX_CHARS, `comment must be at most ${FEEDBACK_COMMENT_MAX_CHARS} characters`)
      .optional(),
  })
  .meta({ id: 'FeedbackRequest' });
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

export const Feedback = z
  .object({
    rating: FeedbackRating,
    reason: FeedbackReason.nullable(),
    comment: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Feedback' });
export type Feedback = z.infer<typeof Feedback>;

export const ConversationMessage = z
  .object({
    id: z.string(),
    role: ChatRole,
    content: z.string(),
    sources: z.array(Source),
    createdAt: z.string(),
    feedback: Feedback.nullable().meta({ description: "the caller's rating of an answer; null if none" }),
  })
  .meta({ id: 'ConversationMessage' });
export type ConversationMessage = z.infer<typeof ConversationMessage>;

export const Conversation = z
  .object({
    id: z.string(),
    title: z.string(),
    product: ChatProduct.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    messages: z.array(ConversationMessage),
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof Conversation>;
