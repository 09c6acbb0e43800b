import { z } from 'zod';
import { ChatProduct } from './chat';
import { FeedbackReason } from './conversations';

/** The longest period the insights cover, and the default. */
export const INSIGHTS_DAYS_MAX = 365;
export const INSIGHTS_DAYS_DEFAULT = 30;

const count = z.number().int().nonnegative();

export const InsightsDay = z
  .object({
    date: z.string().meta({ description: 'the UTC day, YYYY-MM-DD' }),
    questions: count,
    unanswered: count,
    up: count,
    down: count,
  })
  .meta({ id: 'InsightsDay' });
export type InsightsDay = z.infer<typeof InsightsDay>;

export const ContentGap = z
  .object({
    id: z.string().meta({ description: 'stable for the same questions from one call to the next' }),
    count: count.meta({ description: 'questions in the group' }),
    unanswered: count,
    ratedDown: count,
    representative: z.string().meta({ description: 'the phrasing asked most often' }),
    examples: z.array(z.string()).meta({ description: 'a few other phrasings, most recent first' }),
    lastAskedAt: z.string(),
  })
  .meta({ id: 'ContentGap' });
export type ContentGap = z.infer<typeof ContentGap>;

export const CitedSource = z
  .object({
    id: z.string().meta({ description: 'the document, e.g. confluence:page:123 or file:guide.md' }),
    title: z.string(),
    url: z.string(),
    citations: count,
  })
  .meta({ id: 'CitedSource' });
export type CitedSource = z.infer<typeof CitedSource>;

export const Insights = z
  .object({
    days: z.number().int().positive(),
    from: z.string(),
    to: z.string(),
    scope: z
      .enum(['service', 'installation'])
      .meta({ description: "an admin key sees the whole service; a Forge admin, their site's installation" }),
    totals: z.object({
      questions: count,
      conversations: count,
      users: count,
      answered: count,
      unanswered: count.meta({ description: 'answers with no sources: the knowledge base had nothing' }),
    }),
    feedback: z.object({
      up: count,
      down: count,
      reasons: z.record(FeedbackReason, count),
    }),
    perDay: z.array(InsightsDay).meta({ description: 'every day of the period, oldest first' }),
    gaps: z
      .array(ContentGap)
      .meta({ description: 'unanswered and rated-down questions by meaning, biggest first' }),
    gapsGroupedBy: z.enum(['meaning', 'words']).meta({
      description:
        "meaning: by the embedding model's vectors, then words; words: by the lexical analyzer alone (no embedding model, or it did not answer)",
    }),
    topSources: z.array(CitedSource),
    perSpace: z.array(z.object({ spaceKey: z.string().nullable(), questions: count })),
    perProduct: z.array(z.object({ product: ChatProduct.nullable(), questions: count })),
  })
  .meta({ id: 'Insights' });
export type Insights = z.infer<typeof Insights>;
