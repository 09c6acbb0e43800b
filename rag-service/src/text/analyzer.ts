import { stemmer } from 'stemmer';
import { STOP_WORDS } from './stop-words.js';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’_]*/gu;
const MAX_TERM_LENGTH = 40;

/** Words whose term is remembered: a language's working vocabulary; at most 100,000 × 40 characters. */
const MEMO_MAX_WORDS = 100_000;
/** word → its term, or null for a stop word. Stemming is most of the analyzer's cost; words repeat. */
const memo = new Map<string, string | null>();

/** The term of one lower-cased word, or null for a stop word. */
function termOf(word: string): string | null {
  const normal = word.replace(/[’]/g, "'");
  if (STOP_WORDS.has(normal)) return null;
  const base = normal.replace(/'s$/, '').replace(/'/g, '');
  if (!base || STOP_WORDS.has(base)) return null;
  return /^\d/.test(base) ? base : stemmer(base);
}

/**
 * The one analyzer of the service: lower-cased words, stop words removed, Porter-stemmed. Relevance checks
 * and sparse vectors must agree on what a "term" is, so everything that needs terms comes here.
 */
export function analyze(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const word = match[0];
    // Checked before the memo, so a long token (a hash, base64) never becomes one of its keys.
    if (word.length > MAX_TERM_LENGTH) continue;
    let term = memo.get(word);
    if (term === undefined) {
      if (memo.size >= MEMO_MAX_WORDS) memo.clear();
      term = termOf(word);
      memo.set(word, term);
    }
    if (term !== null) terms.push(term);
  }
  return terms;
}

export function uniqueTerms(text: string): Set<string> {
  return new Set(analyze(text));
}

/** What String.prototype.trim takes away: a word's gap to the one before may hold only these. */
const SPACE = /^\s$/;
/** After these, a capital starts a sentence, not a name. */
const SENTENCE_END = new Set(['.', '!', '?', ':']);

/**
 * The terms of the words a text writes as names: capitalised inside a sentence ("Does it support Slack?"),
 * all capitals ("SSO"), or letters with digits ("S3"). The first word of a sentence is capitalised anyway,
 * so it is no sign.
 */
export function nameTerms(text: string): Set<string> {
  const names = new Set<string>();
  const normal = text.normalize('NFKC');
  // The last character before a word that is not a space ('' at the start), found by scanning only the
  // gap since the previous word: slicing and trimming all the text before each word was quadratic.
  let last = '';
  let scanned = 0;
  for (const match of normal.matchAll(WORD)) {
    const word = match[0];
    for (let i = match.index - 1; i >= scanned; i--) {
      if (!SPACE.test(normal[i]!)) {
        last = normal[i]!;
        break;
      }
    }
    scanned = match.index + word.length;
    const startsSentence = last === '' || SENTENCE_END.has(last);
    last = word.at(-1)!;
    const looksLikeName =
      (!startsSentence && /^\p{Lu}/u.test(word)) ||
      /^\p{Lu}{2,}$/u.test(word) ||
      (/\p{L}/u.test(word) && /\p{N}/u.test(word));
    if (!looksLikeName) continue;
    for (const term of analyze(word)) names.add(term);
  }
  return names;
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
