import {
  CANDIDATES_MAX,
  QUESTION_CHARS,
  clipped,
  folded,
  groupContentGaps,
  lexicalGapGroups,
  type GapQuestion,
} from '../../src/insights/content-gaps.js';

const at = (day: number) => new Date(Date.UTC(2026, 10, day)).toISOString();
const gap = (text: string, day: number, ratedDown = false): GapQuestion => ({
  text,
  askedAt: at(day),
  unanswered: !ratedDown,
  ratedDown,
});

/** What people ask in general: the common words of questions ("how do I configure…"). */
const ANSWERED = Array.from(
  { length: 300 },
  (_, i) =>
    ['How do I configure the service?', 'Does it support PDF uploads?', 'How do I reindex a space?'][i % 3]!,
);

describe('content gaps', () => {
  const questions = [
    gap('Does it support Slack?', 1),
    gap('does it support slack', 2),
    gap('Slack integration?', 3),
    gap('Can I connect it to Slack', 4),
    gap('How do I configure SSO?', 5),
    gap('SSO setup', 6, true),
    gap('What is the refund policy?', 7),
    gap('Does it support Teams?', 8),
  ];
  const asked = [...ANSWERED, ...questions.map((q) => q.text)];

  it('puts the rephrasings of one missing topic in one group, biggest first, with its figures', () => {
    const gaps = groupContentGaps(questions, asked);
    expect(gaps.map((g) => [g.representative, g.count])).toEqual([
      ['Does it support Slack?', 4],
      ['How do I configure SSO?', 2],
      ['Does it support Teams?', 1],
      ['What is the refund policy?', 1],
    ]);
    expect(gaps[0]).toMatchObject({
      unanswered: 4,
      ratedDown: 0,
      // Other phrasings, most recent first; the representative is the one asked most (folded: case, "?").
      examples: ['Can I connect it to Slack', 'Slack integration?'],
      lastAskedAt: at(4),
    });
    expect(gaps[1]).toMatchObject({ unanswered: 1, ratedDown: 1, examples: ['SSO setup'] });
  });

  it('gives the same groups, in the same order, with the same ids, whatever order the questions come in', () => {
    const first = groupContentGaps(questions, asked);
    const shuffled = [...questions].reverse();
    expect(groupContentGaps(shuffled, [...asked].reverse())).toEqual(first);
    expect(new Set(first.map((g) => g.id)).size).toBe(first.length);
  });

  it('does not join questions that share only a common word', () => {
    const gaps = groupContentGaps(
      [gap('How do I configure Jenkins?', 1), gap('How do I configure Grafana?', 2)],
      ANSWERED,
    );
    expect(gaps).toHaveLength(2);
  });

  it('folds case, spacing and end punctuation only, whatever runs of them a question holds', () => {
    expect(folded('  Does it support\t\n SLACK ?!. ')).toBe('does it support slack');
    // A run of ". " that is not at the end stays (the input that made the old end regex quadratic)…
    expect(folded(`${'. '.repeat(1999)}x`)).toBe(`${'. '.repeat(1999)}x`);
    // …and a long one at the end goes, all of it.
    expect(folded(`Slack${' ?!.'.repeat(5000)}`)).toBe('slack');
    expect(folded(' ?!. '.repeat(100))).toBe('');
  });

  it('reads no vocabulary when there is no gap to group', () => {
    // Every question of the period is only needed for word rarity among gaps: none, none read.
    const unread: readonly string[] = new Proxy(['How do I configure the service?'], {
      get: () => {
        throw new Error('the vocabulary was read');
      },
    });
    expect(lexicalGapGroups([], unread)).toEqual([]);
    expect(lexicalGapGroups([gap(' ?! ', 1)], unread)).toEqual([]);
  });

  it(`groups and shows a long question by its first ${QUESTION_CHARS} characters`, () => {
    const lead = `Does it support Slack? Here is the log: ${'sync failed at step three, '.repeat(12)}`;
    expect(lead.length).toBeGreaterThan(QUESTION_CHARS);
    const [only, ...rest] = groupContentGaps(
      [gap(`${lead}${'first trace '.repeat(300)}`, 1), gap(`${lead}${'second trace '.repeat(300)}`, 2)],
      ANSWERED,
    );
    // What follows the first characters (a pasted log) neither makes another question nor is shown.
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ count: 2, examples: [] });
    expect(only!.representative).toBe(`${lead.slice(0, QUESTION_CHARS).trimEnd()}…`);
  });

  it('cuts a long question between characters, never inside one', () => {
    expect(clipped('a'.repeat(QUESTION_CHARS))).toBe('a'.repeat(QUESTION_CHARS));
    expect(clipped(`${'a'.repeat(QUESTION_CHARS - 1)}😀b`)).toBe(`${'a'.repeat(QUESTION_CHARS - 1)}…`);
    expect(clipped(`${'a'.repeat(QUESTION_CHARS - 2)}😀b`)).toBe(`${'a'.repeat(QUESTION_CHARS - 2)}😀…`);
  });

  it(`still joins a phrasing to its topic's big group when more than ${CANDIDATES_MAX} groups share its name`, () => {
    // Many one-off questions that name Slack and nothing else in common: groups of their own.
    const oneOffs = Array.from({ length: CANDIDATES_MAX * 2 }, (_, i) =>
      gap(`Slack error ${i.toString(36)}zq ${(i * 7919).toString(36)}wv`, 2),
    );
    const gaps = groupContentGaps(
      [
        ...Array.from({ length: 5 }, () => gap('Does it support Slack?', 1)),
        ...oneOffs,
        gap('Slack support?', 3),
      ],
      [...ANSWERED, ...oneOffs.map((q) => q.text)],
    );
    expect(gaps.length).toBeGreaterThan(CANDIDATES_MAX);
    expect(gaps[0]).toMatchObject({ representative: 'Does it support Slack?', count: 6 });
    expect(gaps[0]!.examples).toEqual(['Slack support?']);
  });
});
