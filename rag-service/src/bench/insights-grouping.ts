import { groupContentGaps, type GapQuestion } from '../insights/content-gaps.js';
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
export function insightsGrouping(gaps = 10_000, asked = 50_000, runs = 5): InsightsGroupingResult {
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
  let groups = 0;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    groups = groupContentGaps(questions, all).length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    gapQuestions: gaps,
    askedQuestions: asked,
    groups,
    runs,
    medianMs: Math.round(times[Math.floor(runs / 2)]!),
    maxMs: Math.round(times.at(-1)!),
  };
}
