import { z } from 'zod';

export const DocumentUploadResult = z
  .object({
    id: z.string(),
    title: z.string(),
    chunks: z.number().int().nonnegative(),
    status: z.enum(['indexed', 'unchanged']),
  })
  .meta({ id: 'DocumentUploadResult' });
export type DocumentUploadResult = z.infer<typeof DocumentUploadResult>;
