import type { Source } from '@kb/contracts';
import { BREADCRUMB } from '../text/breadcrumb.js';
import type { Passage } from '../retrieval/retriever.js';

const SNIPPET_CHARS = 280;

/** The start of a passage on one line, cut at a word. */
export function snippet(text: string): string {
  // Only the start is shown: flatten just enough of it (whole passages run to thousands of characters).
  const head = text.length > SNIPPET_CHARS * 2 ? text.slice(0, SNIPPET_CHARS * 2) : text;
  let flat = head.replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_CHARS && head !== text) flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, '')}…` : flat;
}

/** A passage as the client sees it: numbered, titled with its section, linked, not yet marked as cited. */
export function toSource(passage: Passage, n: number): Source {
  const { chunk } = passage;
  const section = chunk.headingPath.at(-1);
  const title = section && section !== chunk.title ? `${chunk.title}${BREADCRUMB}${section}` : chunk.title;
  return {
    n,
    id: chunk.id,
    title,
    url: chunk.url,
    snippet: snippet(chunk.text),
    score: passage.score,
    ...(chunk.spaceKey ? { spaceKey: chunk.spaceKey } : {}),
    ...(chunk.pageId ? { pageId: chunk.pageId } : {}),
    cited: false,
  };
}
