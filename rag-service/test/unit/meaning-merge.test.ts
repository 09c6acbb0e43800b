import { contentGapsOf, lexicalGapGroups, type GapQuestion } from '../../src/insights/content-gaps.js';
import { MEANING_GROUPS_MAX, mergeByMeaning, type EmbedTexts } from '../../src/insights/meaning-merge.js';
import { ADMIN_BUDGET_MS } from '../../../forge-app/src/resolvers/deadline.js';
import { EMBED_BUDGET_MS, PhrasingVectors } from '../../src/insights/phrasing-vectors.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
const asked = (text: string, times: number, minute = 0): GapQuestion[] =>
  Array.from({ length: times }, (_, i) => ({
    text,
    askedAt: at(minute + i),
    unanswered: true,
    ratedDown: false,
  }));

/** A model of three topics: each text's vector is its topic's axis, a little off it by the text's length. */
const TOPIC_OF: [RegExp, number][] = [
  [/okta|sso|single sign/i, 0],
  [/slack/i, 1],
];
function topicModel(calls: string[][] = []): EmbedTexts {
  return async (texts) => {
    calls.push(texts);
    return texts.map((t) => {
      const v = new Float32Array(4);
      v[TOPIC_OF.find(([re]) => re.test(t))?.[1] ?? 3] = 1;
      v[2] = (t.length % 7) / 20;
      return v;
    });
  };
}

describe('content gaps joined by meaning', () => {
  const questions = [
    ...asked('How do I log in with Okta?', 3, 10),
    ...asked('Single sign-on setup', 2, 20),
    ...asked('SSO not working', 1, 30),
    ...asked('Does it support Slack?', 2, 40),
    ...asked('Is there a mobile app?', 1, 50),
  ];

  it('joins groups whose embeddings reach the bar, seeded by the biggest, and keeps the rest apart', async () => {
    const gaps = contentGapsOf(await mergeByMeaning(lexicalGapGroups(questions), topicModel(), 0.9));
    expect(gaps.map((g) => [g.representative, g.count, g.unanswered, g.examples])).toEqual([
      ['How do I log in with Okta?', 6, 6, ['SSO not working', 'Single sign-on setup']],
      ['Does it support Slack?', 2, 2, []],
      ['Is there a mobile app?', 1, 1, []],
    ]);
    expect(gaps[0]!.lastAskedAt).toBe(at(30));
  });

  it('joins nothing below the bar, and joins at exactly the bar', async () => {
    const two = lexicalGapGroups([...asked('alpha', 2), ...asked('beta', 1)]);
    const model: EmbedTexts = async (texts) =>
      texts.map((t) => (t === 'alpha' ? Float32Array.of(1, 0) : Float32Array.of(0.6, 0.8)));
    expect((await mergeByMeaning(two, model, 0.61)).map((g) => g.count)).toEqual([2, 1]);
    expect((await mergeByMeaning(two, model, 0.6)).map((g) => g.count)).toEqual([3]);
  });

  it('gives the same groups whatever order the questions come in', async () => {
    const first = contentGapsOf(await mergeByMeaning(lexicalGapGroups(questions), topicModel(), 0.9));
    const reversed = contentGapsOf(
      await mergeByMeaning(lexicalGapGroups([...questions].reverse()), topicModel(), 0.9),
    );
    expect(reversed).toEqual(first);
  });

  it(`embeds the ${MEANING_GROUPS_MAX} biggest groups' representatives only, and keeps the tail as it is`, async () => {
    const many = Array.from({ length: MEANING_GROUPS_MAX + 5 }, (_, i) =>
      asked(`Slack question number${'x'.repeat(i % 3)} ${i}`, i < 5 ? 2 : 1, i),
    ).flat();
    const calls: string[][] = [];
    const groups = await mergeByMeaning(lexicalGapGroups(many), topicModel(calls), 0.9);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(MEANING_GROUPS_MAX);
    // The five asked twice come first; the tail is the oldest of those asked once.
    expect(calls[0]!.slice(0, 5).every((t) => / [0-4]$/.test(t))).toBe(true);
    expect(groups.length).toBeGreaterThan(5);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(many.length);
  });
});

describe('phrasing vectors', () => {
  it("waits for the model at most half the Forge admin page's budget, so a slow model leaves it its figures", () => {
    // The page's resolver gives the whole call ADMIN_BUDGET_MS; the reads and the grouping need their share.
    expect(EMBED_BUDGET_MS).toBeGreaterThan(0);
    expect(EMBED_BUDGET_MS).toBeLessThanOrEqual(ADMIN_BUDGET_MS / 2);
  });

  it('embeds a phrasing once, keeps the most recently used, and evicts the least', async () => {
    const embedder = new HashingEmbedder(16, 8);
    const vectors = new PhrasingVectors(embedder, 2);
    const [a] = await vectors.of(['alpha', 'beta']);
    expect(embedder.texts).toBe(2);
    expect(Array.from(a!)).toEqual(embedder.vector('alpha').map((x) => Math.fround(x)));
    await vectors.of(['alpha']);
    expect(embedder.texts).toBe(2);
    // alpha was used last: gamma evicts beta.
    await vectors.of(['gamma']);
    await vectors.of(['alpha']);
    expect(embedder.texts).toBe(3);
    await vectors.of(['beta']);
    expect(embedder.texts).toBe(4);
  });

  it('returns every vector of a request even when the request holds more than it keeps', async () => {
    const embedder = new HashingEmbedder(16, 8);
    const vectors = new PhrasingVectors(embedder, 1);
    const out = await vectors.of(['a one', 'b two', 'c three', 'a one']);
    expect(out).toHaveLength(4);
    expect(out.every((v) => v instanceof Float32Array && v.length === 16)).toBe(true);
    expect(out[3]).toBe(out[0]);
    expect(embedder.texts).toBe(3);
  });
});
