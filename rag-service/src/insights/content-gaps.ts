import { createHash } from 'node:crypto';
import type { ContentGap } from '@kb/contracts';
import { analyze, nameTerms } from '../text/analyzer.js';

/** One unanswered or rated-down question. */
export interface GapQuestion {
  text: string;
  askedAt: string;
  unanswered: boolean;
  ratedDown: boolean;
}

/** Two questions ask the same thing when their weighted terms' cosine reaches this. */
const SAME_TOPIC = 0.5;
const EXAMPLES = 3;
/** How much more a name weighs than another word of the same rarity. */
const NAME_WEIGHT = 3;
/**
 * Groups compared with one phrasing at most. Thousands of phrasings that share a word but no topic (long
 * questions that name the same product) made every phrasing meet every group: 20,000 such questions took
 * 80 s. The candidates come by the phrasing's heaviest terms first, and each term's groups in the order
 * they were made (the most asked first), so a phrasing still meets the big groups of its topic.
 */
export const CANDIDATES_MAX = 100;

/**
 * Characters of a question that are grouped and shown. A question's topic is in its first words; what
 * follows in a long one is mostly pasted material (a log, a stack trace, a page) that adds only rare words
 * and would make the grouping's cost grow with what people paste (5,000 questions of 4,000 characters
 * took 13 minutes and 1.4 GB in the bench). The store reads no more than this (and one more, to tell a cut
 * question).
 */
export const QUESTION_CHARS = 300;

/** The first QUESTION_CHARS of a question, with '…' when it goes on; a character is never cut in two. */
export function clipped(text: string): string {
  if (text.length <= QUESTION_CHARS) return text;
  const code = text.charCodeAt(QUESTION_CHARS - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? QUESTION_CHARS - 1 : QUESTION_CHARS;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** What may end a question without making it another: spacing (folded to ' ' first) and end punctuation. */
const TRAILING = new Set([' ', '?', '!', '.']);

/**
 * A phrasing as people type it, folded: case, spacing and end punctuation do not make another question.
 * The end is trimmed with a loop, not /[\s?!.]+$/: that regex is tried from every start of a run, so a
 * long run of ". " that is not at the end costs quadratic time (3,000 such questions held the process 31 s).
 */
export function folded(text: string): string {
  const spaced = text.toLowerCase().replace(/\s+/g, ' ');
  let end = spaced.length;
  while (end > 0 && TRAILING.has(spaced[end - 1]!)) end--;
  return spaced.slice(0, end).trimStart();
}

interface Vector {
  weights: Map<string, number>;
  norm: number;
}

function vectorOf(terms: readonly string[], idf: (term: string) => number): Vector {
  const weights = new Map<string, number>();
  for (const t of new Set(terms)) weights.set(t, idf(t));
  let sum = 0;
  for (const w of weights.values()) sum += w * w;
  return { weights, norm: Math.sqrt(sum) };
}

/** Questions asked about one thing: each folded phrasing once, with how often and when it was last asked. */
export interface GapGroup {
  phrasings: Map<string, { text: string; count: number; lastAskedAt: string }>;
  count: number;
  unanswered: number;
  ratedDown: number;
  lastAskedAt: string;
}

interface Group extends GapGroup {
  centroid: Map<string, number>;
  norm: number;
}

/**
 * The terms a group must share for the cosine to reach the bar: by weight, the fewest whose leaving out
 * would leave less than SAME_TOPIC² of the vector's squared norm. A group sharing none of them cannot reach
 * SAME_TOPIC, so only their groups are compared — not every group sharing "configure".
 */
function decisiveTerms(v: Vector): string[] {
  const sorted = [...v.weights.entries()].sort((a, b) => b[1] - a[1]);
  let rest = v.norm * v.norm;
  const out: string[] = [];
  for (const [t, w] of sorted) {
    if (rest < SAME_TOPIC * SAME_TOPIC * v.norm * v.norm) break;
    out.push(t);
    rest -= w * w;
  }
  return out;
}

function cosine(v: Vector, group: Group): number {
  if (!v.norm || !group.norm) return 0;
  let dot = 0;
  for (const [t, w] of v.weights) dot += w * (group.centroid.get(t) ?? 0);
  return dot / (v.norm * group.norm);
}

/**
 * Unanswered and rated-down questions grouped as `lexicalGapGroups` groups them, biggest first.
 */
export function groupContentGaps(
  questions: readonly GapQuestion[],
  asked: readonly string[] = questions.map((q) => q.text),
): ContentGap[] {
  return contentGapsOf(lexicalGapGroups(questions, asked));
}

/**
 * Unanswered and rated-down questions grouped by meaning with the service's lexical analyzer: each
 * question's terms weighed by how rare they are among all questions asked, names (a word someone wrote
 * capitalised, "Slack", "SSO") three times more — a rephrasing keeps the name of its topic and changes the
 * other words — and joined to the closest group when their cosine reaches 0.5. Deterministic: the same questions give the same groups, in the same order, with the
 * same ids (made from the representative phrasing).
 */
export function lexicalGapGroups(
  questions: readonly GapQuestion[],
  /** Every question of the period, answered or not: how common a word is among what people ask. */
  asked: readonly string[] = questions.map((q) => q.text),
): GapGroup[] {
  // Identical phrasings first, as one: their count orders the pass, so the common phrasing seeds its group.
  const phrasings = new Map<string, { text: string; items: GapQuestion[]; terms: string[] }>();
  const spellings = new Map<string, Map<string, number>>();
  for (const q of questions) {
    const text = clipped(q.text).trim();
    const key = folded(text);
    if (!key) continue;
    const spelt = spellings.get(key) ?? new Map<string, number>();
    spelt.set(text, (spelt.get(text) ?? 0) + 1);
    spellings.set(key, spelt);
    const seen = phrasings.get(key);
    if (seen) seen.items.push(q);
    else phrasings.set(key, { text, items: [q], terms: analyze(text) });
  }
  // No gap, no group: the vocabulary (every question of the period, up to a bound) is not analysed for nothing.
  if (!phrasings.size) return [];
  // Shown as its most frequent spelling (ties: the first in code-point order), whatever order rows came in.
  for (const [key, p] of phrasings) {
    p.text = [...spellings.get(key)!].sort(([a, na], [b, nb]) => nb - na || (a < b ? -1 : 1))[0]![0];
  }
  // Rarity among all questions, not among the gaps: a missing topic's word repeats among the gaps (that is
  // what makes it a gap) but is rare among what people ask; "how do I configure…" is common everywhere.
  const df = new Map<string, number>();
  for (const text of asked) for (const t of new Set(analyze(clipped(text)))) df.set(t, (df.get(t) ?? 0) + 1);
  const n = Math.max(asked.length, 1);
  // A word someone wrote as a name ("Slack", "SSO") is what a question is about: a rephrasing keeps it.
  const names = new Set<string>();
  for (const p of phrasings.values()) for (const t of nameTerms(p.text)) names.add(t);
  const idf = (t: string) =>
    Math.log(1 + (n - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5)) * (names.has(t) ? NAME_WEIGHT : 1);

  const ordered = [...phrasings.entries()].sort(
    ([ka, a], [kb, b]) => b.items.length - a.items.length || (ka < kb ? -1 : ka > kb ? 1 : 0),
  );
  const groups: Group[] = [];
  // Only groups sharing a term can reach the bar: an index from term to groups keeps this near-linear.
  const byTerm = new Map<string, Group[]>();
  for (const [key, p] of ordered) {
    const v = vectorOf(p.terms, idf);
    let best: Group | undefined;
    let bestScore = SAME_TOPIC;
    const seen = new Set<Group>();
    candidates: for (const t of decisiveTerms(v)) {
      for (const g of byTerm.get(t) ?? []) {
        if (seen.has(g)) continue;
        if (seen.size >= CANDIDATES_MAX) break candidates;
        seen.add(g);
        const score = cosine(v, g);
        if (score >= bestScore) {
          best = g;
          bestScore = score;
        }
      }
    }
    const group: Group = best ?? {
      centroid: new Map(),
      norm: 0,
      phrasings: new Map(),
      count: 0,
      unanswered: 0,
      ratedDown: 0,
      lastAskedAt: '',
    };
    if (!best) groups.push(group);
    const lastAskedAt = p.items.reduce((m, q) => (q.askedAt > m ? q.askedAt : m), '');
    group.phrasings.set(key, { text: p.text, count: p.items.length, lastAskedAt });
    group.count += p.items.length;
    group.unanswered += p.items.filter((q) => q.unanswered).length;
    group.ratedDown += p.items.filter((q) => q.ratedDown).length;
    if (lastAskedAt > group.lastAskedAt) group.lastAskedAt = lastAskedAt;
    // The centroid is the sum of its phrasings' vectors, each counted once per time it was asked.
    for (const [t, w] of v.weights) {
      const had = group.centroid.has(t);
      group.centroid.set(t, (group.centroid.get(t) ?? 0) + (w / (v.norm || 1)) * p.items.length);
      if (had) continue;
      // Appended in place: a copy per new term made the index quadratic in a common term's groups.
      const indexed = byTerm.get(t);
      if (indexed) indexed.push(group);
      else byTerm.set(t, [group]);
    }
    let sum = 0;
    for (const w of group.centroid.values()) sum += w * w;
    group.norm = Math.sqrt(sum);
  }

  return groups;
}

/** A group's phrasings, the one asked most first (ties: code-point order of the folded phrasing). */
export function rankedPhrasings(
  g: GapGroup,
): [string, { text: string; count: number; lastAskedAt: string }][] {
  return [...g.phrasings.entries()].sort(
    ([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0),
  );
}

/** The groups as the admin sees them: a representative, a few recent examples, biggest first. */
export function contentGapsOf(groups: readonly GapGroup[]): ContentGap[] {
  return groups
    .map((g): ContentGap => {
      const ranked = rankedPhrasings(g);
      const [repKey, rep] = ranked[0]!;
      const examples = ranked
        .slice(1)
        .sort(([ka, a], [kb, b]) =>
          a.lastAskedAt < b.lastAskedAt ? 1 : a.lastAskedAt > b.lastAskedAt ? -1 : ka < kb ? -1 : 1,
        )
        .slice(0, EXAMPLES)
        .map(([, p]) => p.text);
      return {
        id: createHash('sha256').update(repKey).digest('hex').slice(0, 12),
        count: g.count,
        unanswered: g.unanswered,
        ratedDown: g.ratedDown,
        representative: rep.text,
        examples,
        lastAskedAt: g.lastAskedAt,
      };
    })
    .sort(
      (a, b) =>
        b.count - a.count ||
        (a.lastAskedAt < b.lastAskedAt ? 1 : a.lastAskedAt > b.lastAskedAt ? -1 : a.id < b.id ? -1 : 1),
    );
}
