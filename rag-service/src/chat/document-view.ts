import { DOCUMENT_VIEW_SECTIONS_MAX, type DocumentView } from '@kb/contracts';
import { DEFAULT_CHUNK_OPTIONS, sentenceTails } from '../ingest/chunk.js';
import { countTokens } from '../text/tokens.js';
import type { RetrievedChunk, VectorStore } from '../store/vector-store.js';

/** Sections a view shows before the one asked for, so the reader sees what leads up to it. */
const SECTIONS_BEFORE = 20;

/**
 * A chunk's text without the tail of the chunk before it, which chunking repeats at its start (so a passage
 * read alone keeps its context); read one after another, it would show twice. The repeat is exactly one of
 * the tails chunking chooses from, then a blank line: the longest that fits is the one chunking took (it
 * takes the longest within its budget). Text that merely happens to repeat is never cut.
 */
export function withoutOverlap(
  previous: string,
  text: string,
  overlapTokens: number = DEFAULT_CHUNK_OPTIONS.overlapTokens,
): string {
  for (const tail of sentenceTails(previous, overlapTokens).reverse()) {
    if (text.startsWith(`${tail}\n\n`)) return text.slice(tail.length + 2);
  }
  // A tail cut inside a sentence: the previous chunk's last sentence alone was over the budget.
  const first = text.indexOf('\n\n');
  if (first > 0) {
    const head = text.slice(0, first);
    if (previous.trimEnd().endsWith(head) && countTokens(head) <= overlapTokens) return text.slice(first + 2);
  }
  return text;
}

const sameSection = (a: RetrievedChunk, b: RetrievedChunk) =>
  a.headingPath.length === b.headingPath.length && a.headingPath.every((h, i) => h === b.headingPath[i]);

/**
 * A document as the service shows it when a source is opened: the indexed text, section by section, at
 * most `DOCUMENT_VIEW_SECTIONS_MAX` of them around the section `around` (a chunk's ordinal).
 * Only what the service holds for everyone who may ask it (documents folders, the bucket, uploads — the
 * content any caller's answers draw on). A Confluence page opens in Confluence, which decides who may read
 * it: never here, or the service would hand out pages past their restrictions. A Confluence page and a
 * missing document look alike (undefined) and cost alike (one record read), so the answer says nothing
 * about what exists.
 */
export async function documentView(
  store: VectorStore,
  id: string,
  around = 0,
): Promise<DocumentView | undefined> {
  const record = await store.documentRecord(id);
  if (!record || record.source === 'confluence') return undefined;
  const count = record.chunks;
  const from = Math.max(0, Math.min(around - SECTIONS_BEFORE, count - DOCUMENT_VIEW_SECTIONS_MAX));
  const to = Math.min(count, from + DOCUMENT_VIEW_SECTIONS_MAX);
  // One chunk more before the window: the first section's repeat of it is cut like any other.
  const chunks = await store.documentChunks(id, Math.max(0, from - 1), to);
  return {
    id: record.id,
    title: record.title,
    source: record.source,
    location: record.url,
    indexedAt: record.indexedAt,
    sectionCount: count,
    sections: chunks.flatMap((chunk, i) => {
      if (chunk.ordinal < from) return [];
      const previous = chunks[i - 1];
      const text =
        previous && previous.ordinal === chunk.ordinal - 1 && sameSection(previous, chunk)
          ? withoutOverlap(previous.text, chunk.text)
          : chunk.text;
      return [{ id: chunk.id, ordinal: chunk.ordinal, headingPath: chunk.headingPath, text }];
    }),
  };
}
