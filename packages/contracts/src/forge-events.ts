import { z } from 'zod';

/** The content an event is about, as Forge's Confluence event payload carries it (only what is used here). */
const EventContent = z
  .object({
    id: z.union([z.string().max(40), z.number().int().nonnegative()]),
    type: z.string().max(40).optional(),
    space: z
      .object({ key: z.string().max(255).optional() })
      .loose()
      .optional(),
  })
  .loose();

/**
 * A Confluence page event as the app's `trigger` forwards it (`POST /api/v1/forge/events`): Forge's own
 * payload, so fields this service does not use are allowed through untouched.
 */
export const ForgePageEvent = z
  .object({
    eventType: z.string().min(1).max(200),
    content: EventContent.optional(),
    /** Only on `avi:confluence:moved:page`: the page as it was before the move. */
    prevContent: EventContent.optional(),
  })
  .loose()
  .meta({ id: 'ForgePageEvent' });
export type ForgePageEvent = z.infer<typeof ForgePageEvent>;

export const ForgeEventAccepted = z
  .object({
    status: z.enum(['queued', 'ignored']),
    /** Why an event changes nothing (not a page event, a space not indexed, no Confluence configured). */
    reason: z.string().optional(),
  })
  .meta({ id: 'ForgeEventAccepted' });
export type ForgeEventAccepted = z.infer<typeof ForgeEventAccepted>;
