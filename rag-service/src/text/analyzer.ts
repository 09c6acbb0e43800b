import { stemmer } from 'stemmer';
import { STOP_WORDS } from './stop-words.js';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’_]*/gu;
const MAX_TERM_LENGTH = 40;

/**
 * The one analyzer of the service: lower-cased words, stop words removed, Porter-stemmed. Relevance checks
 * and sparse vectors must agree on what a "term" is, so everything that needs terms comes here.
 */
export function analyze(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const word = match[0].replace(/[’]/g, "'");
    if (word.length > MAX_TERM_LENGTH || STOP_WORDS.has(word)) continue;
    const base = word.replace(/'s$/, '').replace(/'/g, '');
    if (!base || STOP_WORDS.has(base)) continue;
    terms.push(/^\d/.test(base) ? base : stemmer(base));
  }
  return terms;
}

export function uniqueTerms(text: string): Set<string> {
  return new Set(analyze(text));
}

/** Share of the query's distinct terms that the passage contains (0…1). */
export function termCoverage(queryTerms: ReadonlySet<string>, passageTerms: ReadonlySet<string>): number {
  if (queryTerms.size === 0) return 0;
  let hits = 0;
  for (const t of queryTerms) if (passageTerms.has(t)) hits++;
  return hits / queryTerms.size;
}

/** Jaccard similarity of two term sets; used to drop near-duplicate passages. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return inter / (a.size + b.size - inter);
}
