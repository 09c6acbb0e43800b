import { AdfRenderer } from '@forge/react';
import type { Source } from '@kb/contracts';
import { useMemo } from 'react';
import { markdownToAdf } from './markdown-adf';

type RendererDocument = Parameters<typeof AdfRenderer>[0]['document'];

/**
 * An answer as the reader should see it: the model writes Markdown (lists, code, bold, links), which
 * plain `Text` would show as asterisks and backticks. Converted to ADF and drawn by Atlassian's own
 * renderer, with each `[n]` linking to source n's page and section.
 */
export function AnswerText({ answer, sources }: { answer: string; sources: Source[] }) {
  const document = useMemo(() => markdownToAdf(answer, sources), [answer, sources]);
  // Our narrow ADF types are a subset of the renderer's full schema types.
  return <AdfRenderer document={document as RendererDocument} />;
}
