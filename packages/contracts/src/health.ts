import { z } from 'zod';

export const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const CheckStatus = z.enum(['ok', 'degraded', 'down']);
export type CheckStatus = z.infer<typeof CheckStatus>;

export const Check = z.object({ status: CheckStatus, detail: z.string().optional() });
export type Check = z.infer<typeof Check>;

export const Readiness = z
  .object({
    status: CheckStatus,
    checks: z.object({
      store: Check,
      llm: Check,
      embeddings: Check,
      /** Conversations and feedback: absent with HISTORY=off; degraded while its database is unreachable. */
      history: Check.optional(),
      /** The documents folders (DOCS_DIR): present, degraded, only while one is missing or unreadable. */
      documents: Check.optional(),
    }),
  })
  .meta({ id: 'Readiness' });
export type Readiness = z.infer<typeof Readiness>;
