import { z } from 'zod';

export const UPLOAD_EXTENSIONS = ['.md', '.markdown', '.txt', '.html', '.htm', '.pdf'] as const;

export const DocumentUploadResult = z
  .object({
    id: z.string(),
    title: z.string(),
    chunks: z.number().int().nonnegative(),
    status: z.enum(['indexed', 'unchanged']),
  })
  .meta({ id: 'DocumentUploadResult' });
export type DocumentUploadResult = z.infer<typeof DocumentUploadResult>;
