import { z } from 'zod';
import { DocumentSource } from './index-status';

export const DocumentUploadResult = z
  .object({
    id: z.string(),
    title: z.string(),
    chunks: z.number().int().nonnegative(),
    status: z.enum(['indexed', 'unchanged']),
  })
  .meta({ id: 'DocumentUploadResult' });
export type DocumentUploadResult = z.infer<typeof DocumentUploadResult>;

export const DocumentSection = z
  .object({
    /** The chunk id a source names (`file:guide.md#3`): the page scrolls to the section it cites. */
    id: z.string(),
    headingPath: z
      .array(z.string())
      .meta({ description: 'the headings the section sits under, outermost first' }),
    text: z.string().meta({
      description: 'the section as indexed (Markdown), without the overlap repeated from the one before',
    }),
  })
  .meta({ id: 'DocumentSection' });
export type DocumentSection = z.infer<typeof DocumentSection>;

export const DocumentView = z
  .object({
    id: z.string(),
    title: z.string(),
    source: DocumentSource,
    /** Where the document came from, as sources name it: a path in a documents folder, an upload, an S3 key. */
    location: z.string(),
    indexedAt: z.string(),
    sections: z.array(DocumentSection),
  })
  .meta({ id: 'DocumentView' });
export type DocumentView = z.infer<typeof DocumentView>;
