import { IDS_PER_SEARCH } from '../access/confluence-visibility.js';
import type { PageCheck } from '../access/page-access.js';
import type { Call } from '../models/chat-model.js';
import type { RetrievedChunk } from '../store/vector-store.js';

/**
 * Keeps, in rank order, the candidates the asker may see. Only Confluence content is checked; its pages are
 * asked about a batch at a time, best-ranked first, and the next batch only when the visible ones are not
 * `enough` (the retriever asks for all: see Retriever.retrieve); none when every decision is cached. A
 * candidate whose page could not be checked is dropped: nothing unverified reaches the prompt.
 */
export async function admitVisible<T extends { hit: { chunk: RetrievedChunk } }>(
  ranked: readonly T[],
  check: PageCheck,
  call: Call,
  enough: (admitted: T[]) => boolean,
): Promise<{ admitted: T[]; unverified?: string; lasting?: boolean }> {
  const decided = new Map<string, boolean>();
  const admitted: T[] = [];
  let unverified: string | undefined;
  let lasting: boolean | undefined;
  let next = 0;
  while (next < ranked.length) {
    // Once a check fails the loop below admits no further page and runs to the end, so another batch is only
    // ever wanted while checking works. Every Confluence page ranked before `next` is decided by now: the
    // undecided ones are the next batch.
    const batch = undecidedPages(ranked, decided);
    if (batch.length) {
      const decisions = await check.decide(batch, call);
      for (const id of batch) decided.set(id, decisions.visible.has(id));
      unverified = decisions.unverified;
      lasting = decisions.lasting;
    }
    for (; next < ranked.length; next++) {
      const { chunk } = ranked[next]!.hit;
      if (chunk.source !== 'confluence') {
        admitted.push(ranked[next]!);
        continue;
      }
      const visible = chunk.pageId ? decided.get(chunk.pageId) : false;
      // Past the checked batch: stop here and ask about the next one, unless checking has failed.
      if (visible === undefined && !unverified) break;
      if (visible) admitted.push(ranked[next]!);
    }
    if (enough(admitted)) break;
  }
  return { admitted, unverified, lasting };
}

/** The next batch of pages to ask about: distinct, not yet decided, in the candidates' rank order. */
function undecidedPages(
  candidates: readonly { hit: { chunk: RetrievedChunk } }[],
  decided: ReadonlyMap<string, boolean>,
): string[] {
  const batch = new Set<string>();
  for (const { hit } of candidates) {
    const id = hit.chunk.pageId;
    if (hit.chunk.source !== 'confluence' || !id || decided.has(id)) continue;
    batch.add(id);
    if (batch.size === IDS_PER_SEARCH) break;
  }
  return [...batch];
}
