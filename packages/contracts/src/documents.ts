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

/** Sections one view holds at most (about 70,000 tokens): a document of 10,000 sections opens at the cited one. */
export const DOCUMENT_VIEW_SECTIONS_MAX = 200;

export const DocumentSection = z
  .object({
    /** The chunk id a source names (`file:guide.md#3`): the page scrolls to the section it cites. */
    id: z.string(),
    ordinal: z.number().int().nonnegative(),
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
    sectionCount: z.number().int().nonnegative().meta({
      description: 'sections in the whole document; `sections` holds at most 200 of them, in order',
    }),
    sections: z.array(DocumentSection).max(DOCUMENT_VIEW_SECTIONS_MAX),
  })
  .meta({ id: 'DocumentView' });
export type DocumentView = z.infer<typeof DocumentView>;
