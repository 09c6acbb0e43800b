import type { DocumentView } from '@kb/contracts';
import type { RetrievedChunk, VectorStore } from '../store/vector-store.js';

/**
 * Overlap is at most 50 tokens of whole sentences; a first paragraph longer than this is the chunk's own
 * text, so looking further only costs time.
 */
const MAX_OVERLAP_CHARS = 2_000;

const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * A chunk's text without the tail of the chunk before it, which chunking repeats at its start (so a passage
 * read alone keeps its context). Read one after another, the repeat would show twice. The repeat is the
 * chunk's first paragraphs, its spaces normalised, ending the previous chunk.
 */
export function withoutOverlap(previous: string, text: string): string {
  const before = flat(previous);
  let cut = 0;
  for (let at = text.indexOf('\n\n'); at > 0 && at <= MAX_OVERLAP_CHARS; at = text.indexOf('\n\n', at + 2)) {
    const head = flat(text.slice(0, at));
    if (head && before.endsWith(head)) cut = at + 2;
  }
  return cut ? text.slice(cut) : text;
}

const sameSection = (a: RetrievedChunk, b: RetrievedChunk) =>
  a.headingPath.length === b.headingPath.length && a.headingPath.every((h, i) => h === b.headingPath[i]);

/**
 * A document as the service shows it when a source is opened: the indexed text, section by section.
 * Only what the service holds for everyone who may ask it (documents folders, the bucket, uploads — the
 * content any caller's answers draw on). A Confluence page opens in Confluence, which decides who may read
 * it: never here, or the service would hand out pages past their restrictions. A Confluence page and a
 * missing document look alike (undefined), so the answer says nothing about what exists.
 */
export async function documentView(store: VectorStore, id: string): Promise<DocumentView | undefined> {
  const stored = await store.readDocument(id);
  if (!stored || stored.record.source === 'confluence') return undefined;
  const { record, chunks } = stored;
  return {
    id: record.id,
    title: record.title,
    source: record.source,
    location: record.url,
    indexedAt: record.indexedAt,
    sections: chunks.map((chunk, i) => {
      const previous = chunks[i - 1];
      const text =
        previous && sameSection(previous, chunk) ? withoutOverlap(previous.text, chunk.text) : chunk.text;
      return { id: chunk.id, headingPath: chunk.headingPath, text };
    }),
  };
}
