import { contentGapsOf, lexicalGapGroups, type GapQuestion } from '../insights/content-gaps.js';
import { mergeByMeaning, type EmbedTexts } from '../insights/meaning-merge.js';
import { longQuestions, punctuationRuns, type HostileGroupingCase } from './insights-hostile.js';
import { seededRandom } from './random.js';

export interface InsightsGroupingResult {
  /** Unanswered or rated-down questions grouped, and all questions of the period (for word rarity). */
  gapQuestions: number;
  askedQuestions: number;
  groups: number;
  /** Wall time of one grouping, over `runs` runs. */
  runs: number;
  medianMs: number;
  maxMs: number;
  /** Then joined by meaning, with vectors of `dimensions` already known (the model's time is not counted). */
  dimensions: number;
  meaningGroups: number;
  meaningMedianMs: number;
  meaningMaxMs: number;
  /** Hostile input, grouped by words: long questions, and runs of punctuation (see insights-hostile.ts). */
  longQuestions: HostileGroupingCase;
  punctuationRuns: HostileGroupingCase;
}

/** Vectors as a model gives them, from no model: a direction per topic, and each phrasing a little off it. */
function topicVectors(dimensions: number, topicOf: (text: string) => number): EmbedTexts {
  const random = seededRandom(7);
  const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const axes = TOPICS.map(() => Float32Array.from({ length: dimensions }, gauss));
  return async (texts) =>
    texts.map((t) => {
      const axis = axes[topicOf(t)] ?? axes[0]!;
      return axis.map((x) => x + 0.5 * gauss());
    });
}

function median(times: number[]): { medianMs: number; maxMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!), maxMs: Math.round(sorted.at(-1)!) };
}

const TOPICS = [
  'Slack',
  'Teams',
  'SSO',
  'Okta',
  'SAML',
  'Jenkins',
  'Grafana',
  'Salesforce',
  'Zendesk',
  'GitLab',
  'Notion',
  'SharePoint',
  'Azure AD',
  'Kubernetes',
  'Terraform',
  'S3 exports',
  'audit logs',
  'webhooks',
  'dark mode',
  'mobile app',
  'offline mode',
  'PDF export',
  'CSV import',
  'rate limits',
  'billing',
  'refunds',
  'invoices',
  'GDPR',
  'data residency',
  'backups',
];
const PHRASINGS = [
  (t: string) => `Does it support ${t}?`,
  (t: string) => `${t} integration?`,
  (t: string) => `Can I connect it to ${t}`,
  (t: string) => `How do I set up ${t}?`,
  (t: string) => `Is there a way to use ${t} with the assistant?`,
  (t: string) => `${t} not working`,
  (t: string) => `where are the docs for ${t}`,
];
const ANSWERED = [
  'How do I reindex the knowledge base?',
  'Where do uploads go?',
  'How do I rotate the API key?',
  'How long does reindexing take?',
  'How do I connect to Confluence?',
  'Which file types are supported?',
];

/**
 * What grouping the content gaps costs a request: `gaps` unanswered questions (rephrasings of a few
 * hundred missing topics, with numbers and typos' worth of variety) among `asked` questions, grouped
 * `runs` times. The request itself adds the SQL reads; this is the part that grows with the history.
 */
export async function insightsGrouping(
  gaps = 10_000,
  asked = 50_000,
  runs = 5,
  dimensions = 1_536,
): Promise<InsightsGroupingResult> {
  const random = seededRandom(19);
  const questions: GapQuestion[] = [];
  for (let i = 0; i < gaps; i++) {
    const topic = `${TOPICS[Math.floor(random() * TOPICS.length)]!}${random() < 0.7 ? '' : ` ${Math.floor(random() * 300)}`}`;
    const phrase = PHRASINGS[Math.floor(random() * PHRASINGS.length)]!(topic);
    questions.push({
      text: phrase,
      askedAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
      unanswered: random() < 0.8,
      ratedDown: random() < 0.2,
    });
  }
  const all = [
    ...questions.map((q) => q.text),
    ...Array.from({ length: asked - gaps }, (_, i) => ANSWERED[i % ANSWERED.length]!),
  ];
  const times: number[] = [];
  const meaningTimes: number[] = [];
  let groups = 0;
  let meaningGroups = 0;
  const topicOf = (text: string) => TOPICS.findIndex((t) => text.includes(t));
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const lexical = lexicalGapGroups(questions, all);
    groups = contentGapsOf(lexical).length;
    times.push(performance.now() - started);
    // The vectors are made before the clock starts: a request finds them cached after its first call.
    const vectors = new Map<string, Float32Array>();
    const make = topicVectors(dimensions, topicOf);
    for (const g of lexical)
      for (const p of g.phrasings.values()) vectors.set(p.text, (await make([p.text]))[0]!);
    const merging = performance.now();
    const merged = await mergeByMeaning(lexical, async (texts) => texts.map((t) => vectors.get(t)!), 0.75);
    meaningGroups = contentGapsOf(merged).length;
    meaningTimes.push(performance.now() - merging);
  }
  const meaning = median(meaningTimes);
  return {
    gapQuestions: gaps,
    askedQuestions: asked,
    groups,
    runs,
    ...median(times),
    dimensions,
    meaningGroups,
    meaningMedianMs: meaning.medianMs,
    meaningMaxMs: meaning.maxMs,
    longQuestions: longQuestions(),
    punctuationRuns: punctuationRuns(),
  };
}
