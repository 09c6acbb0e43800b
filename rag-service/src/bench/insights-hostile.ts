import { lexicalGapGroups, type GapQuestion } from '../insights/content-gaps.js';
import { seededRandom } from './random.js';

/** One hostile grouping case: how many questions, how long each, and what grouping them cost. */
export interface HostileGroupingCase {
  gapQuestions: number;
  askedQuestions: number;
  chars: number;
  groups: number;
  runs: number;
  medianMs: number;
  maxMs: number;
}

const at = (i: number) => new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString();
const gap = (text: string, i: number): GapQuestion => ({
  text,
  askedAt: at(i),
  unanswered: true,
  ratedDown: false,
});

function timed(questions: GapQuestion[], asked: string[], runs: number) {
  const times: number[] = [];
  let groups = 0;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    groups = lexicalGapGroups(questions, asked).length;
    times.push(performance.now() - started);
  }
  const sorted = times.sort((a, b) => a - b);
  return {
    groups,
    runs,
    medianMs: Math.round(sorted[Math.floor(runs / 2)]!),
    maxMs: Math.round(sorted.at(-1)!),
  };
}

/**
 * Long questions: `gaps` unanswered questions of `chars` characters, each a short question about one
 * product followed by a pasted log (made-up words and numbers, all different), among `asked` questions.
 * Each is a phrasing of its own and shares its product's name with all the others: the case that once
 * took 800 s and 1.4 GB for 5,000 of them.
 */
export function longQuestions(gaps = 5_000, asked = 50_000, chars = 4_000, runs = 3): HostileGroupingCase {
  const random = seededRandom(23);
  const vocabulary = Array.from({ length: 5_000 }, () =>
    Array.from({ length: 3 + Math.floor(random() * 8) }, () =>
      String.fromCharCode(97 + Math.floor(random() * 26)),
    ).join(''),
  );
  const questions = Array.from({ length: gaps }, (_, i) => {
    let text = `Does it support Slack ${i % 30}? Here is what I see:`;
    while (text.length < chars) {
      const word = vocabulary[Math.floor(random() * vocabulary.length)]!;
      text += ` ${word}${random() < 0.1 ? ` ${Math.floor(random() * 1e6)}` : ''}`;
    }
    return gap(text.slice(0, chars), i);
  });
  const all = [
    ...questions.map((q) => q.text),
    ...Array.from({ length: asked - gaps }, (_, i) => `How do I reindex space ${i % 6}?`),
  ];
  return { gapQuestions: gaps, askedQuestions: asked, chars, ...timed(questions, all, runs) };
}

/**
 * Runs of punctuation: `gaps` questions of ". " repeated, then one word — the input that made the old
 * end-punctuation regex quadratic (12 ms a question; 3,000 of them held the process 31 s).
 */
export function punctuationRuns(gaps = 3_000, chars = 4_000, runs = 3): HostileGroupingCase {
  const questions = Array.from({ length: gaps }, (_, i) => gap(`${'. '.repeat(chars / 2 - 1)}x`, i));
  const all = questions.map((q) => q.text);
  return { gapQuestions: gaps, askedQuestions: gaps, chars, ...timed(questions, all, runs) };
}
