import { z } from 'zod';
import { HISTORY_MAX_TURNS, MESSAGE_MAX_CHARS, SPACE_KEYS_MAX } from './limits';

export const ChatRole = z.enum(['user', 'assistant']);

// Request shapes are strict: an unknown field anywhere is refused (400 naming it), so a misspelt filter
// never silently searches everything. Response shapes stay open, so a newer service can add fields.

export const ChatTurn = z
  .strictObject({
    role: ChatRole,
    content: z.string().max(MESSAGE_MAX_CHARS * 4),
  })
  .meta({ id: 'ChatTurn' });
export type ChatTurn = z.infer<typeof ChatTurn>;

export const SpaceKey = z
  .string()
  .regex(/^[A-Za-z0-9~_-]{1,255}$/, 'a Confluence space key (letters, digits, ~, _ or -)');

export const ChatFilters = z
  .strictObject({
    spaceKeys: z.array(SpaceKey).max(SPACE_KEYS_MAX).optional(),
  })
  .meta({ id: 'ChatFilters' });
export type ChatFilters = z.infer<typeof ChatFilters>;

export const JiraIssueContext = z
  .strictObject({
    key: z.string().max(100),
    summary: z.string().max(1000).optional(),
    description: z.string().max(32000).optional(),
  })
  .meta({ id: 'JiraIssueContext' });
export type JiraIssueContext = z.infer<typeof JiraIssueContext>;

export const ChatProduct = z.enum(['confluence', 'jira', 'web']);
export type ChatProduct = z.infer<typeof ChatProduct>;

export const ChatContext = z
  .strictObject({
    product: ChatProduct.optional(),
    /** The Atlassian account asking, as the Forge resolver's trusted context reports it. */
    accountId: z.string().min(1).max(128).optional(),
    spaceKey: SpaceKey.optional(),
    pageId: z
      .string()
      .regex(/^\d{1,20}$/, 'a numeric Confluence page id')
      .optional(),
    issue: JiraIssueContext.optional(),
  })
  .meta({ id: 'ChatContext' });
export type ChatContext = z.infer<typeof ChatContext>;

export const ChatRequest = z
  .strictObject({
    message: z
      .string()
      .trim()
      .min(1, 'message must not be empty')
      .max(MESSAGE_MAX_CHARS, `message must be at most ${MESSAGE_MAX_CHARS} characters`),
    history: z
      .array(ChatTurn)
      .max(HISTORY_MAX_TURNS, `history holds at most ${HISTORY_MAX_TURNS} turns`)
      .optional(),
    conversationId: z.string().min(1).max(128).optional(),
    filters: ChatFilters.optional(),
    context: ChatContext.optional(),
  })
  .meta({ id: 'ChatRequest' });
export type ChatRequest = z.infer<typeof ChatRequest>;

export const Source = z
  .object({
    n: z.number().int().positive(),
    id: z.string(),
    title: z.string(),
    url: z.string(),
    snippet: z.string(),
    score: z.number(),
    spaceKey: z.string().optional(),
    pageId: z.string().optional(),
    cited: z.boolean(),
  })
  .meta({ id: 'Source' });
export type Source = z.infer<typeof Source>;

export const ModelInfo = z
  .object({
    llm: z.string().meta({ description: '`provider:model`, or `none` for extractive answers' }),
    embeddings: z.string().meta({ description: '`provider:model`, or `none` for lexical retrieval only' }),
  })
  .meta({ id: 'ModelInfo' });
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ChatResponse = z
  .object({
    answer: z.string(),
    sources: z.array(Source),
    conversationId: z.string(),
    messageId: z
      .string()
      .nullable()
      .meta({ description: 'the stored answer, to send feedback on; null when no history is kept' }),
    model: ModelInfo,
  })
  .meta({ id: 'ChatResponse' });
export type ChatResponse = z.infer<typeof ChatResponse>;
