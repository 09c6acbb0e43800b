import { groupContentGaps, type GapQuestion } from '../../src/insights/content-gaps.js';

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
});
