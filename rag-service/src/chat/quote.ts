import { termCoverage, uniqueTerms } from '../text/analyzer.js';

/**
 * What a passage is made of, for quoting: whole sentences, whole list items (a step is never cut), and
 * fenced code blocks kept byte for byte. A quote is built from these and nothing smaller.
 */
export interface QuoteUnit {
  kind: 'sentence' | 'step' | 'code';
  text: string;
  /** Where the unit stands in the passage. */
  index: number;
  /** The sentence's paragraph, or the step's list: units of one group read on from each other. */
  group: number;
}

export interface Quote {
  /** Prose: whole sentences or steps, "…" where the passage was skipped between them. */
  prose: string;
  /** Whole code blocks or a whole list of steps, to be shown on lines of their own. */
  blocks: string[];
  /** The share of the question's terms the quote holds: 0 when the passage only matched by its heading. */
  coverage: number;
}

const STEP = /^\s*(?:[-*•]|\d+[.)])\s+/;
// A sentence ends at . ! or ? before a capital, a digit or an opening quote — not inside "e.g. this".
const SENTENCE_END = /(?<=[.!?])(?<!\b(?:e\.g|i\.e|vs|etc)\.)\s+(?=[A-Z0-9"“(`])/;
/** Fewer words than this is filler ("The default.") unless it holds much of the question. */
const MIN_WORDS = 4;
/** Prose of a quote, at most; a single sentence longer than this is still quoted whole up to the hard cap. */
const MAX_PROSE_CHARS = 420;
const HARD_CAP_CHARS = 700;
/** Steps quoted from one list when the question asks how to do something. */
const MAX_STEPS = 10;
/**
 * Questions that ask for a procedure ("how do I…", "steps to…", "which command…"): a code block or the
 * steps of a list answer them better than prose. "How long…" or "how does it work" are not among them.
 */
const HOW_TO =
  /\b(?:how (?:do|can|could|should|would) (?:i|we|you|one)|how to|steps?|install|set ?up|configure|commands?|script)\b/i;

/** "Label: value; Label: value" — a table row as the converters write it: a line of its own, never joined. */
const TABLE_ROW = /^[^:;]{1,40}: [^;]*;/;

/**
 * A paragraph's lines as one text: plain-text files wrap paragraphs by hand, and a line that does not end a
 * sentence (or starts in lower case) carries on the one before.
 */
function paragraphsOf(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    const continues =
      last !== undefined &&
      !TABLE_ROW.test(last) &&
      !TABLE_ROW.test(line) &&
      (!/[.!?:]$/.test(last) || /^[a-z]/.test(line));
    if (continues) out[out.length - 1] = `${last} ${line}`;
    else out.push(line);
  }
  return out;
}

export function quoteUnits(text: string): QuoteUnit[] {
  const units: QuoteUnit[] = [];
  let groups = 0;
  const push = (kind: QuoteUnit['kind'], unitText: string, group: number) =>
    units.push({ kind, text: unitText, index: units.length, group });
  // A fence the passage does not close (a long block cut by the chunker) runs to the passage's end.
  for (const part of text.split(/(```[\s\S]*?(?:```|$))/)) {
    if (part.startsWith('```')) {
      push('code', part.trim(), ++groups);
      continue;
    }
    // Blank lines part paragraphs; a run of list items is one list, whatever stands around it.
    for (const paragraph of part.split(/\n\s*\n/)) {
      let prose: string[] = [];
      let list: number | undefined;
      const flushProse = () => {
        for (const line of paragraphsOf(prose)) {
          const group = ++groups;
          for (const sentence of line.split(SENTENCE_END))
            if (sentence.trim()) push('sentence', sentence.trim(), group);
        }
        prose = [];
      };
      for (const rawLine of paragraph.split('\n')) {
        const line = rawLine.trim();
        if (!line || line.startsWith('#')) continue;
        if (STEP.test(rawLine)) {
          flushProse();
          list ??= ++groups;
          push('step', line, list);
        } else {
          list = undefined;
          prose.push(line);
        }
      }
      flushProse();
    }
  }
  return units;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function capped(prose: string): string {
  return prose.length > HARD_CAP_CHARS ? `${prose.slice(0, HARD_CAP_CHARS).replace(/\s+\S*$/, '')}…` : prose;
}

/**
 * The part of a passage that answers the question, in the passage's own words: the sentence or step that
 * holds most of the question, with a second one when it adds a word of the question the first lacks; for
 * a question that asks how to do something, the passage's code block (or its list of steps) whole, with
 * the sentence that introduces it. Never half a sentence, never two sentences glued as if one.
 */
export function quotePassage(text: string, question: string, heading = ''): Quote {
  const asked = uniqueTerms(question);
  const units = quoteUnits(text);
  if (!units.length) return { prose: capped(text.trim()), blocks: [], coverage: 0 };
  const scored = units.map((u) => {
    const terms = uniqueTerms(u.text);
    const coverage = termCoverage(asked, terms);
    // A short unit is filler ("The default.") unless it holds much of the question and adds to it ("Port
    // 8080 by default."); code answers only how-to questions.
    const adds = [...terms].some((t) => !asked.has(t));
    // A passage that opens in lower case opens mid-sentence (the chunk's overlap with the one before).
    const cut = u.index === 0 && u.kind === 'sentence' && /^[a-z]/.test(u.text);
    const eligible =
      u.kind !== 'code' && !cut && (wordCount(u.text) >= MIN_WORDS || (coverage >= 0.5 && adds));
    return { unit: u, terms, coverage, eligible, adds };
  });
  const howTo = HOW_TO.test(question);

  if (howTo) {
    const procedure = procedureOf(scored, units, asked);
    // A block that says nothing of the question is another topic's example, unless the section's heading
    // is the question's subject ("Reindex from the command line"): then its command is the answer.
    const onTopic = termCoverage(asked, uniqueTerms(heading)) >= 0.5;
    if (procedure && (procedure.coverage > 0 || onTopic)) return procedure;
  }

  const prose = scored.filter((s) => s.eligible);
  const ranked = [...prose].sort((a, b) => b.coverage - a.coverage || a.unit.index - b.unit.index);
  // Nothing of the question in any sentence (the passage matched by its heading): its opening says what it is.
  const best = ranked[0] && ranked[0].coverage > 0 ? ranked[0] : (prose[0] ?? scored[0]!);
  if (best.unit.kind === 'code') return { prose: '', blocks: [best.unit.text], coverage: best.coverage };
  const picked = [best];
  // A sentence that only restates the question ("Reindexing takes some time.") goes on to what it says.
  const next = scored[best.unit.index + 1];
  if (!best.adds && next?.eligible && next.unit.kind === 'sentence' && next.unit.group === best.unit.group)
    picked.push(next);
  const companion = ranked.find(
    (s) =>
      !picked.includes(s) &&
      s.coverage > 0 &&
      [...s.terms].some((t) => asked.has(t) && !picked.some((p) => p.terms.has(t))) &&
      picked.reduce((n, p) => n + p.unit.text.length, 0) + s.unit.text.length <= MAX_PROSE_CHARS,
  );
  if (companion) picked.push(companion);
  const held = new Set(picked.flatMap((p) => [...p.terms]));
  return {
    prose: capped(joinUnits(picked.map((p) => p.unit))),
    blocks: [],
    coverage: termCoverage(asked, held),
  };
}

/**
 * For a how-to question: the passage's best code block (or list of steps) whole, after the sentence that
 * leads into it. Undefined when the passage has neither.
 */
function procedureOf(
  scored: { unit: QuoteUnit; coverage: number }[],
  units: QuoteUnit[],
  asked: ReadonlySet<string>,
): Quote | undefined {
  const code = scored.filter((s) => s.unit.kind === 'code');
  const steps = scored.filter((s) => s.unit.kind === 'step');
  const bestOf = (xs: typeof scored) =>
    [...xs].sort((a, b) => b.coverage - a.coverage || a.unit.index - b.unit.index)[0];
  const bestCode = bestOf(code);
  const bestStep = bestOf(steps);
  // Steps win over code only when they hold more of the question: a command is what "how" usually wants.
  const useSteps = bestStep && (!bestCode || bestStep.coverage > bestCode.coverage);
  let first: QuoteUnit;
  let block: string;
  if (useSteps) {
    const list = units.filter((u) => u.group === bestStep.unit.group);
    first = list[0]!;
    block = list
      .slice(0, MAX_STEPS)
      .map((u) => u.text)
      .join('\n');
  } else if (bestCode) {
    first = bestCode.unit;
    block = bestCode.unit.text;
  } else return undefined;
  const before = units[first.index - 1];
  const leadIn = before?.kind === 'sentence' ? before.text : '';
  return {
    prose: capped(leadIn),
    blocks: [block],
    coverage: termCoverage(asked, uniqueTerms(`${leadIn} ${block}`)),
  };
}

/** Units in the passage's order: a space between neighbours, "…" where the passage skipped some. */
function joinUnits(units: QuoteUnit[]): string {
  const ordered = [...units].sort((a, b) => a.index - b.index);
  return ordered
    .map((u, i) => (i === 0 ? u.text : `${u.index === ordered[i - 1]!.index + 1 ? ' ' : ' … '}${u.text}`))
    .join('');
}
