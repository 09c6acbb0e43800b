import { z } from 'zod';

/** At most this many suggested questions: a row of chips under the empty conversation, not a menu. */
export const SUGGESTIONS_MAX = 4;

export const Suggestion = z
  .object({
    /** What the page asks when the suggestion is chosen. */
    question: z.string(),
    /** The indexed document it comes from, as the chip shows it. */
    title: z.string(),
  })
  .meta({ id: 'Suggestion' });
export type Suggestion = z.infer<typeof Suggestion>;

export const SuggestionList = z
  .object({ suggestions: z.array(Suggestion).max(SUGGESTIONS_MAX) })
  .meta({ id: 'SuggestionList' });
export type SuggestionList = z.infer<typeof SuggestionList>;
